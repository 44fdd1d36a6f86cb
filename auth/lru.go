package auth

import "container/list"

// lru is a map with least-recently-updated eviction, bounding the
// Limiter's memory whatever the number of addresses and names it sees.
type lru[V any] struct {
	max   int
	order *list.List // front = most recently updated
	items map[string]*list.Element
}

type lruItem[V any] struct {
	key string
	val V
}

func newLRU[V any](maxEntries int) *lru[V] {
	return &lru[V]{max: maxEntries, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru[V]) get(key string) V {
	if el, ok := c.items[key]; ok {
		return el.Value.(*lruItem[V]).val
	}
	var zero V
	return zero
}

func (c *lru[V]) put(key string, v V) {
	if el, ok := c.items[key]; ok {
		el.Value.(*lruItem[V]).val = v
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&lruItem[V]{key: key, val: v})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruItem[V]).key)
	}
}

func (c *lru[V]) touch(key string) {
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
	}
}

func (c *lru[V]) remove(key string) {
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

// len returns the number of tracked keys (tests).
func (c *lru[V]) len() int { return c.order.Len() }
