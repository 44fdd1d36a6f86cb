package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rwarden/rwarden/policy/refs"
	"github.com/rwarden/rwarden/policy/rsyntax"
)

// checker is the memory of one check, pooled so that a server checking
// request after request reuses the parser's nodes, the reference list and
// the caches instead of allocating them anew (most of a check's cost was
// the garbage collector's).
type checker struct {
	parser rsyntax.Parser
	finder refs.Finder

	// The name caches hold the decision on an unqualified name, which
	// depends only on the name, on whether it is called (fn) or used as a
	// value (any), and on the packages attached so far: a script names
	// the same few functions over and over. There is one pair of maps per
	// list of attached packages (nameSets, keyed by attachKey), so that a
	// script that calls library() keeps its caches from one check to the
	// next as well; fnNames and anyNames are the pair for the packages
	// attached at this point of the check.
	// The maps hold indexes into names and decs: small map values are
	// cheaper to look up than the structs.
	fnNames, anyNames map[string]int32
	nameSets          map[string]*nameSet
	// memo is a cache in front of the name caches of every nameSet:
	// a script repeats its names over and over, and a map lookup hashes
	// the whole name each time. Its entries are tagged with the tag of
	// the nameSet they index into (see nameMemo), so that switching
	// sets (at every check and every library()) clears nothing and
	// allocates nothing, and a set's entries last from one check to the
	// next. tag is the current set's; nextTag the next new set's.
	memo         *nameMemos
	tag, nextTag uint32
	names        []nameDecision
	// byObj caches the decision on each request of this check, so that
	// the shared cache is touched once per distinct request.
	byObj map[objAct]int32
	decs  []decision
	// The caches above are kept from one check to the next while the
	// policy snapshot, the index and the user stay the same (a server
	// checks request after request of the same session): decisions are
	// a function of those. forSnap, forIndex and forUser say which they
	// hold.
	forSnap  *snapshot
	forIndex *Index
	forUser  string
	// methods caches, per generic named in UseMethod or NextMethod, the
	// requests decideMethods makes (without a position): they depend
	// only on the index, and finding them walks every installed
	// function. methodReqs counts the requests held, to bound them.
	methods    map[string][]request
	methodReqs int

	// seen are the denied requests already reported.
	seen map[request]bool
	reqs []request
	d    *Decision
}

type objAct struct{ obj, act string }

// nameMemo is one slot of checker.memo: name's index in names, for a
// call (fn) or not, valid for the nameSet whose tag is tag>>1 (tag&1 is
// fn). Tags start at 1, so that an empty slot matches nothing.
type nameMemo struct {
	name string
	i    int32
	tag  uint32
}

// maxMemoTag bounds the tags of nameSets: past it the memo is cleared
// and tags start again, so that no stale entry matches a new set.
const maxMemoTag = 1 << 30

// memoSlot picks the 2-way set of a non-empty name (the index of its
// first slot) from its length and three of its bytes: cheap, and names
// that collide only share a set.
func memoSlot(name string, fn bool) uint32 {
	n := len(name)
	x := uint32(n)*0x9E3779B1 ^ uint32(name[0])<<16 ^ uint32(name[n/2])<<8 ^ uint32(name[n-1])
	if fn {
		x ^= 0x55
	}
	x *= 0x85EBCA6B
	return (x >> (32 - nameMemoBits)) &^ 1
}

// nameMemoBits sizes nameMemos: a 1,000-line script names some 500
// things, and a smaller cache, cleared at every check, missed often. With
// 1,024 slots (512 sets for ~500 names) many sets still got three names
// or more and missed on every check; 4,096 slots (96 KB per pooled
// checker) made the 1,000-line check 3 - 5 % faster.
const nameMemoBits = 12

// nameMemos is a 2-way set-associative cache of name decisions (indexes
// into checker.names). A slot is trusted only when its name and tag match.
type nameMemos [1 << nameMemoBits]nameMemo

// nameSet is the pair of name caches for one list of attached packages,
// and the tag of its entries in checker.memo.
type nameSet struct {
	fn, any map[string]int32
	tag     uint32
}

// maxNameSets bounds the lists of attached packages a checker keeps
// caches for: a script attaching package after package must not make
// it keep a cache per step.
const maxNameSets = 16

// nameDecision is what an unqualified name resolves to and its decision.
type nameDecision struct {
	obj     string
	dec     int32 // index in decs; -1: the script's own function, no request
	allowed bool  // decs[dec].allowed
}

var checkers = sync.Pool{New: func() any { return new(checker) }}

func getChecker() *checker { return checkers.Get().(*checker) }

// maxKeptNames bounds the caches a pooled checker keeps: a hostile script
// naming a hundred thousand functions must not pin them in memory.
const maxKeptNames = 4096

func putChecker(c *checker) {
	if len(c.nameSets) > maxNameSets || cap(c.names) > maxKeptNames {
		c.fnNames, c.anyNames, c.nameSets, c.names = nil, nil, nil, nil
	}
	if len(c.byObj) > maxKeptNames || cap(c.decs) > maxKeptNames {
		c.byObj, c.decs = nil, nil
	}
	if c.methodReqs > maxKeptNames {
		c.methods, c.methodReqs = nil, 0
	}
	if len(c.seen) > maxKeptNames {
		c.seen = nil
	}
	c.d = nil
	checkers.Put(c)
}

// reset prepares c for a check of user's code under snapshot s and index
// ix, keeping the caches when they hold decisions for the same three.
func (c *checker) reset(s *snapshot, ix *Index, user string) {
	if c.forSnap != s || c.forIndex != ix || c.forUser != user || c.byObj == nil {
		c.forSnap, c.forIndex, c.forUser = s, ix, user
		c.clearNames()
		if c.byObj == nil {
			c.byObj = make(map[objAct]int32)
		} else {
			clear(c.byObj)
		}
		c.decs = c.decs[:0]
		clear(c.methods)
		c.methodReqs = 0
	} else if c.nameSets == nil {
		c.clearNames()
	}
	c.useNames(nil)
	if c.seen == nil {
		c.seen = make(map[request]bool)
	} else {
		clear(c.seen)
	}
	c.d = &Decision{Allowed: true}
}

// clearNames drops the name caches: resolution has changed.
func (c *checker) clearNames() {
	c.names = c.names[:0]
	if c.nameSets == nil {
		c.nameSets = make(map[string]*nameSet)
	} else {
		clear(c.nameSets)
	}
	c.fnNames, c.anyNames = nil, nil
}

// useNames makes the name caches those for the packages attached (most
// recent first), creating them if needed. Past maxNameSets lists or
// maxKeptNames names, every cache is dropped and started anew: the
// caches stay bounded whatever the script attaches or names.
func (c *checker) useNames(attached []string) {
	key := attachKey(attached)
	set, ok := c.nameSets[key]
	if !ok {
		if len(c.nameSets) >= maxNameSets || len(c.names) > maxKeptNames {
			c.clearNames()
		}
		set = &nameSet{fn: make(map[string]int32), any: make(map[string]int32), tag: c.newMemoTag()}
		c.nameSets[key] = set
	}
	c.fnNames, c.anyNames, c.tag = set.fn, set.any, set.tag
}

// newMemoTag returns the tag of a new nameSet: one no entry of memo has.
func (c *checker) newMemoTag() uint32 {
	if c.memo == nil {
		c.memo = new(nameMemos)
	}
	if c.nextTag == 0 || c.nextTag >= maxMemoTag {
		// Tags start again: the entries of every set are dropped, and
		// so are the sets (their tags would be reused).
		clear(c.memo[:])
		c.nextTag = 1
		if len(c.nameSets) > 0 {
			clear(c.nameSets)
			c.names = c.names[:0]
		}
	}
	t := c.nextTag
	c.nextTag++
	return t
}

// attachKey identifies a list of attached packages; package names never
// contain a NUL byte.
func attachKey(attached []string) string {
	return strings.Join(attached, "\x00")
}

// check parses and analyses code and decides its requests.
func (c *checker) check(ix *Index, s *snapshot, user string, code []byte) (*Decision, error) {
	f, err := c.parser.Parse(code, rsyntax.Options{})
	if err != nil {
		return nil, err
	}
	return c.decide(ix, s, user, c.finder.Find(f))
}

// decide decides every request of the references found in a script.
func (c *checker) decide(ix *Index, s *snapshot, user string, found []refs.Ref) (*Decision, error) {
	c.reset(s, ix, user)
	rv := resolver{ix: ix}
	for i := range found {
		f := &found[i]
		if f.Kind == refs.KindString && isGenericDetail(f.Detail) {
			// UseMethod("G") dispatches to G.CLASS for a class the
			// object chooses: every installed function named G.* must
			// be allowed.
			if err := c.decideMethods(s, user, ix, f); err != nil {
				return nil, err
			}
		}
		if f.Pkg == "" && plainKind(f.Kind) {
			if f.Name == "" {
				continue
			}
			if err := c.decideName(s, user, &rv, f.Name, f.Kind != refs.KindSymbol, f.Pos); err != nil {
				return nil, err
			}
			continue
		}
		r := reference{
			Name: f.Name, Pkg: f.Pkg, Kind: string(f.Kind), Detail: f.Detail,
			Line: int(f.Pos.Line), Col: int(f.Pos.Col),
		}
		attached := len(rv.attached)
		c.reqs = rv.add(c.reqs[:0], &r)
		if len(rv.attached) != attached {
			c.useNames(rv.attached)
		}
		for _, req := range c.reqs {
			if err := c.decideRequest(s, user, req); err != nil {
				return nil, err
			}
		}
	}
	return c.finish(), nil
}

// plainKind reports whether a reference of kind k without a package is an
// unqualified name: its one request, if any, is (resolve(name), call),
// which depends only on the name, on whether it is a symbol, and on the
// packages attached so far (the default case of resolver.add).
func plainKind(k refs.Kind) bool {
	switch k {
	case refs.KindDynamic, refs.KindLoad, refs.KindNamespace, refs.KindNamespaceInternal:
		return false
	}
	return true
}

// decideName decides the request of an unqualified, non-empty name (see
// plainKind): what resolver.add and decideRequest would do, through the name
// caches.
func (c *checker) decideName(s *snapshot, user string, rv *resolver, name string, fn bool, pos rsyntax.Pos) error {
	k := memoSlot(name, fn)
	set := c.memo[k : k+2 : k+2]
	tag := c.tag << 1
	if fn {
		tag |= 1
	}
	var i int32
	switch {
	case set[0].tag == tag && set[0].name == name:
		i = set[0].i
	case set[1].tag == tag && set[1].name == name:
		i = set[1].i
	default:
		var err error
		if i, err = c.nameIndex(s, user, rv, name, fn); err != nil {
			return err
		}
		// The newest first: a name that alternates with another of
		// the same set does not evict it.
		set[1] = set[0]
		set[0] = nameMemo{name: name, i: i, tag: tag}
	}
	nd := &c.names[i]
	if nd.dec < 0 || nd.allowed {
		return nil
	}
	c.deny(request{obj: nd.obj, act: ActCall, line: int(pos.Line), col: int(pos.Col)}, &c.decs[nd.dec])
	return nil
}

// nameIndex is decideName's slow path: the index in names of the
// decision on name, from the current name caches or made now.
func (c *checker) nameIndex(s *snapshot, user string, rv *resolver, name string, fn bool) (int32, error) {
	m := c.anyNames
	if fn {
		m = c.fnNames
	}
	i, ok := m[name]
	if !ok {
		obj, resolved := rv.ix.resolve(rv.attached, name, fn)
		nd := nameDecision{obj: obj, dec: -1}
		if resolved {
			var err error
			if nd.dec, err = c.decision(s, user, obj, ActCall); err != nil {
				return -1, err
			}
			nd.allowed = c.decs[nd.dec].allowed
		}
		i = int32(len(c.names))
		c.names = append(c.names, nd)
		m[name] = i
	}
	return i, nil
}

// decideRequest decides one request and records it if denied.
func (c *checker) decideRequest(s *snapshot, user string, req request) error {
	i, err := c.decision(s, user, req.obj, req.act)
	if err != nil {
		return err
	}
	if dec := &c.decs[i]; !dec.allowed {
		c.deny(req, dec)
	}
	return nil
}

// decision decides (obj, act) once per check and returns its index in
// decs.
func (c *checker) decision(s *snapshot, user, obj, act string) (int32, error) {
	k := objAct{obj, act}
	if i, ok := c.byObj[k]; ok {
		return i, nil
	}
	dec, err := s.decide(user, obj, act)
	if err != nil {
		return -1, fmt.Errorf("checking code for %s: %w", user, err)
	}
	i := int32(len(c.decs))
	c.decs = append(c.decs, dec)
	c.byObj[k] = i
	return i, nil
}

// deny records a denied request, once per request and position.
func (c *checker) deny(req request, dec *decision) {
	key := req
	key.detail = "" // one violation per object and position
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.d.Allowed = false
	c.d.Violations = append(c.d.Violations, Violation{
		Object: req.obj, Act: req.act, Line: req.line, Col: req.col,
		Reason: dec.reason, Source: dec.src, Detail: req.detail,
	})
}

// finish sorts the violations and hands the decision over.
func (c *checker) finish() *Decision {
	d := c.d
	c.d = nil
	slices.SortStableFunc(d.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Act, b.Act))
	})
	return d
}

// isGenericDetail reports whether a string reference is the generic of
// UseMethod or NextMethod.
func isGenericDetail(d string) bool {
	return strings.HasSuffix(d, "generic of base::UseMethod") || strings.HasSuffix(d, "generic of base::NextMethod")
}

// decideMethods decides every installed function a dispatch on the
// generic f.Name may reach.
func (c *checker) decideMethods(s *snapshot, user string, ix *Index, f *refs.Ref) error {
	reqs, ok := c.methods[f.Name]
	if !ok {
		prefix := f.Name + "."
		for _, pkg := range ix.orderedPackages() {
			for _, name := range ix.Packages[pkg].Functions {
				if strings.HasPrefix(name, prefix) {
					reqs = append(reqs, request{obj: FunctionObject(pkg, name), act: ActCall,
						detail: "UseMethod(\"" + f.Name + "\") may dispatch to " + pkg + "::" + name})
				}
			}
		}
		if c.methods == nil {
			c.methods = make(map[string][]request)
		}
		c.methods[f.Name] = reqs
		c.methodReqs += len(reqs) + 1
	}
	for _, req := range reqs {
		req.line, req.col = int(f.Pos.Line), int(f.Pos.Col)
		if err := c.decideRequest(s, user, req); err != nil {
			return err
		}
	}
	return nil
}
