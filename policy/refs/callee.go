package refs

import (
	"github.com/rwarden/rwarden/policy/model"
)

// calleePlan is what the analysis of a call of one unqualified name needs
// from the static tables: its entry in specs and the modelled functions
// of that name with a signature that has a parameter to check. Built once,
// so that a call costs one lookup instead of one per table and signature.
type calleePlan struct {
	sp  *spec // nil when the name is not in specs
	fns []liveFunc
	// doCall is set for do.call when the model has it, even though no
	// signature of it is live: modelCall then checks its arguments.
	doCall bool
}

// liveFunc is a modelled function and its signatures that have a
// parameter to check (sigPlan.live), in the model's order.
type liveFunc struct {
	fn   *model.Function
	sigs []liveSig
}

// liveSig is one such signature with its plan.
type liveSig struct {
	sig *model.Signature
	pl  *sigPlan
}

// calleePlans holds the plan of every name in specs or in the model.
var calleePlans = func() map[string]*calleePlan {
	out := map[string]*calleePlan{}
	get := func(name string) *calleePlan {
		cp := out[name]
		if cp == nil {
			cp = &calleePlan{}
			out[name] = cp
		}
		return cp
	}
	for name := range specs {
		sp := specs[name]
		get(name).sp = &sp
	}
	for _, fn := range shippedModel.Functions() {
		lf := liveFuncOf(fn)
		if lf.sigs == nil {
			continue
		}
		cp := get(fn.Name)
		cp.fns = append(cp.fns, lf)
	}
	if len(shippedModel.ByName("do.call")) > 0 {
		get("do.call").doCall = true
	}
	// Keep the model's order (ByName's), which is the order references
	// were reported in before the plans existed.
	for name, cp := range out {
		if cp.fns == nil {
			continue
		}
		var ordered []liveFunc
		for _, fn := range shippedModel.ByName(name) {
			for _, lf := range cp.fns {
				if lf.fn == fn {
					ordered = append(ordered, lf)
				}
			}
		}
		cp.fns = ordered
	}
	return out
}()

// liveFuncOf returns fn with its live signatures (none: sigs is nil).
func liveFuncOf(fn *model.Function) liveFunc {
	lf := liveFunc{fn: fn}
	for si := range fn.Sigs {
		sig := &fn.Sigs[si]
		if pl := sigPlans[sig]; pl.live {
			lf.sigs = append(lf.sigs, liveSig{sig: sig, pl: pl})
		}
	}
	return lf
}

// noPlan is the plan of a name in neither table.
var noPlan = &calleePlan{}

// planMemoSize is the number of slots of analysis.planMemo.
const (
	planMemoBits = 10
	planMemoSize = 1 << planMemoBits
)

// planMemo is one slot of analysis.planMemo.
type planMemo struct {
	name string
	plan *calleePlan
}

// plan returns the plan for a call of name (or pkg::name). Unqualified
// names go through a small direct-mapped cache in front of calleePlans:
// a script calls the same few functions over and over, and the parser
// gives equal names one string, so that the comparison is cheap.
func (a *analysis) plan(name, pkg string) *calleePlan {
	if name == "" {
		return noPlan
	}
	if pkg != "" {
		return qualifiedPlan(name, pkg)
	}
	n := len(name)
	x := uint32(n)*0x9E3779B1 ^ uint32(name[0])<<16 ^ uint32(name[n/2])<<8 ^ uint32(name[n-1])
	x *= 0x85EBCA6B
	// Two slots per hash (a 2-way set), the newer first.
	i := (x >> (32 - planMemoBits)) &^ 1
	set := a.planMemo[i : i+2 : i+2]
	if set[0].plan != nil && set[0].name == name {
		return set[0].plan
	}
	if set[1].plan != nil && set[1].name == name {
		return set[1].plan
	}
	cp := calleePlans[name]
	if cp == nil {
		cp = noPlan
	}
	set[1] = set[0]
	set[0] = planMemo{name: name, plan: cp}
	return cp
}

// qualifiedPlan is the plan of pkg::name: the specs entry of name (specs
// are by name only) and the one modelled function pkg::name.
func qualifiedPlan(name, pkg string) *calleePlan {
	cp := &calleePlan{}
	if sp, ok := specs[name]; ok {
		cp.sp = &sp
	}
	if fn := shippedModel.Lookup(pkg, name); fn != nil {
		if lf := liveFuncOf(fn); lf.sigs != nil {
			cp.fns = []liveFunc{lf}
		}
		cp.doCall = name == "do.call"
	}
	return cp
}
