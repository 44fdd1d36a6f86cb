package refs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rwarden/rwarden/policy/model"
	"github.com/rwarden/rwarden/policy/rsyntax"
)

// The parameter model (policy/model) says which formals of which
// functions R uses as a function, as code, as a formula, as an
// environment or as data to unserialize. What flows into such a formal
// must be a literal the analysis can see through; anything else is
// reported as dynamic, with a hint on how to write it instead:
//
//   - fun: a function literal, a name or a string (reported as a
//     reference to the function it names), pkg::f, NULL, or a call of a
//     family constructor (glm(family = binomial())).
//   - code evaluated as the caller wrote it (with, local, tryCatch):
//     anything; the analysis walks it like any other code.
//   - code whose value is evaluated: a constant, quote(), bquote() or
//     expression() (walked), a function literal, or a string, which is
//     parsed and checked as code; where R only evaluates language
//     objects (not text), also a call of a function that returns text.
//   - formula: a literal formula (walked), a string (parsed and checked
//     as code), or a name bound only to literal formulas and bound here.
//   - env, for formals that are environments (envir, env, rho, where,
//     parent, local, enclos, pos, ...): NULL, TRUE, a call of new.env(),
//     or a name bound only to such calls and bound here. Formals that are
//     data first (data, x) are left to the runtime guards.
//   - unserialize: a string naming a file this script saved earlier with
//     saveRDS() or save() in a top-level statement; for data(), literal
//     data set names with a literal package (without one, data() also
//     reads R files from the working directory).

var shippedModel = func() *model.Model {
	m, err := model.Shipped()
	if err != nil {
		// The embedded model is tested; without it every call of a
		// modelled function would go unchecked, so refuse to run.
		panic("refs: " + err.Error())
	}
	return m
}()

// sigPlans holds, for each modelled signature, what checking a call
// against it needs that does not depend on the call, built once so that
// checking a call allocates no text unless something is reported and
// looks nothing up by name.
var sigPlans = func() map[*model.Signature]*sigPlan {
	out := map[*model.Signature]*sigPlan{}
	for _, fn := range shippedModel.Functions() {
		for si := range fn.Sigs {
			sig := &fn.Sigs[si]
			pl := &sigPlan{params: make([]paramPlan, len(sig.Params)), formula: -1}
			pl.formula = slices.Index(sig.Formals, "formula")
			for pi := range sig.Params {
				p := &sig.Params[pi]
				where := p.Name + " of " + fn.Pkg + "::" + fn.Name
				if sig.Method != "" {
					where += " (method " + sig.Method + ")"
				}
				pp := paramPlan{
					tx:     &argTexts{where: where, str: "string argument " + where, fun: "function argument " + where},
					formal: -1,
				}
				for k, f := range sig.Formals {
					if f == p.Name {
						pp.formal = k
					}
				}
				switch {
				case fn.Pkg == "base" && fn.Name == "do.call" && p.Name == "args":
					pp.skip = true // doCallArgs
				case sig.Method != "" && len(sig.Formals) > 0 && p.Name == sig.Formals[0] && !languageClasses[strings.TrimPrefix(sig.Method, fn.Name+".")]:
					// The generic reaches this method only for an object of
					// its class (plot.function for a function), which is
					// neither text nor language.
					pp.skip = true
				}
				if !pp.skip {
					pl.live = true
				}
				pl.params[pi] = pp
			}
			out[sig] = pl
		}
	}
	return out
}()

// sigPlan is what sigPlans holds for one signature.
type sigPlan struct {
	params []paramPlan // parallel to Sig.Params
	// formula is the index of the formal named formula, or -1.
	formula int
	// live is set when some parameter is checked at all (not skip).
	live bool
}

// paramPlan is what sigPlans holds for one parameter.
type paramPlan struct {
	tx *argTexts
	// formal is the index of the parameter in Sig.Formals, or -1.
	formal int
	// skip is set for a parameter never checked here.
	skip bool
}

// strictEnvFormals are formals whose value is an environment first.
var strictEnvFormals = map[string]bool{
	"envir": true, "env": true, "rho": true, "where": true, "parent": true, "local": true,
	"enclos": true, "pos": true, "toplevel.env": true, "assign.env": true, "eval.env": true,
	"frame": true, "value": true, "name": true,
}

// languageClasses are the classes of S3 methods whose dispatch argument
// may be text, language or anything (default). A formula method is not
// among them: it is reached only with a formula object, whose content is
// code the analysis has walked (a string dispatches elsewhere).
var languageClasses = map[string]bool{
	"default": true, "character": true, "call": true, "name": true,
	"expression": true, "language": true, "list": true, "environment": true, "{": true, "(": true,
}

// familyCtors return family objects, never names or functions the
// caller could not name: glm(family = binomial()) is literal enough.
var familyCtors = map[string]bool{
	"binomial": true, "gaussian": true, "poisson": true, "Gamma": true, "inverse.gaussian": true,
	"quasi": true, "quasibinomial": true, "quasipoisson": true,
}

// textFuncs return character vectors (never language objects).
var textFuncs = map[string]bool{
	"paste": true, "paste0": true, "sprintf": true, "format": true, "formatC": true, "prettyNum": true,
	"toupper": true, "tolower": true, "trimws": true, "gettextf": true, "sQuote": true, "dQuote": true,
	"as.character": true, "substr": true, "substring": true, "sub": true, "gsub": true, "nchar": true,
}

// modelFuncs returns the modelled functions a call of name (or pkg::name)
// may reach.
func modelFuncs(name, pkg string) []*model.Function {
	if name == "" {
		return nil
	}
	if pkg != "" {
		if f := shippedModel.Lookup(pkg, name); f != nil {
			return []*model.Function{f}
		}
		return nil
	}
	return shippedModel.ByName(name)
}

// modelCall checks the arguments of a call of the modelled functions fns.
// sp is the call's entry in specs, if any: the formals it handles are not
// checked again.
func (a *analysis) modelCall(c *rsyntax.Call, name string, fns []liveFunc, sp *spec, handled []bool) {
	if name == "do.call" {
		a.doCallArgs(c)
	}
	for _, lf := range fns {
		fn := lf.fn
		for _, ls := range lf.sigs {
			sig, pl := ls.sig, ls.pl
			bound, dotArgs, fromDots := a.matchModel(sig.Formals, c.Args)
			for pi := range sig.Params {
				p, pp := &sig.Params[pi], &pl.params[pi]
				if pp.skip || (sp != nil && sp.roles[p.Name] != 0) {
					continue
				}
				tx := pp.tx
				if p.Name == "..." {
					for _, i := range dotArgs {
						if len(p.Carries) > 0 && !carried(p.Carries, &c.Args[i]) {
							continue
						}
						a.modelArg(c, fn, p, tx, i, handled)
					}
					continue
				}
				i := -1
				if pp.formal >= 0 {
					i = bound[pp.formal]
				}
				if i < 0 {
					if fromDots && risky(p) {
						a.add(KindDynamic, "", "", c.P, fmt.Sprintf("argument %s may come from ...", tx.where))
					}
					continue
				}
				if p.Kind == model.Formula && p.Name == "data" && pl.formula >= 0 && bound[pl.formula] >= 0 {
					// model.frame(formula, data): data is made a
					// formula only when formula is missing.
					continue
				}
				a.modelArg(c, fn, p, tx, i, handled)
			}
		}
	}
}

// risky reports whether a formal's argument is checked (see modelArg).
func risky(p *model.Param) bool {
	switch p.Kind {
	case model.Code:
		return !p.Written
	case model.Env:
		return strictEnvFormals[p.Name]
	}
	return true
}

// carried reports whether an argument in ... may reach one of the named
// formals of a callee: named by a prefix of one (R matches partially).
func carried(carries []string, arg *rsyntax.Arg) bool {
	if !arg.HasName {
		return false
	}
	for _, f := range carries {
		if arg.Name != "" && strings.HasPrefix(f, arg.Name) {
			return true
		}
	}
	return false
}

// modelArg checks argument i of call c for formal p.
func (a *analysis) modelArg(c *rsyntax.Call, fn *model.Function, p *model.Param, tx *argTexts, i int, handled []bool) {
	where := tx.where
	v := c.Args[i].Value
	if v == nil {
		return
	}
	switch p.Kind {
	case model.Fun:
		if p.Why == "called" {
			// R calls the argument when it is a function and never looks
			// a name or string up: only a function from a leaky source
			// is unknown.
			if a.isLeaky(v) {
				a.addHint(v.Pos(), "function argument "+where+" may be a function from an option, slot, attribute or file", "pass the function itself")
			}
			return
		}
		if x, ok := v.(*rsyntax.Call); ok {
			if n, _ := callee(x); familyCtors[n] && strings.HasPrefix(p.Name, "family") {
				return
			}
		}
		a.funArg(v, i, tx, handled)
	case model.Code:
		if p.Written {
			return
		}
		if fn.Name == "update" && a.isFit(v) {
			// update(fit): the call stored in a model this script fitted
			// with a literal call it walked.
			return
		}
		a.codeArg(v, where, p.Parsed)
	case model.Formula:
		a.formulaArg(v, where)
	case model.Env:
		if strictEnvFormals[p.Name] {
			a.envArg(v, where)
		}
	case model.Unserialize:
		a.unserializeArg(c, fn, v, where)
	}
}

// addHint reports a dynamic reference whose detail says why and how to
// write it instead.
func (a *analysis) addHint(pos rsyntax.Pos, why, hint string) {
	a.add(KindDynamic, "", "", pos, why+"; "+hint)
}

func (a *analysis) codeArg(v rsyntax.Node, where string, parsed bool) {
	switch x := v.(type) {
	case *rsyntax.Const, *rsyntax.Num:
		return
	case *rsyntax.String:
		a.parsedString(x, "code string for "+where)
		return
	case *rsyntax.Function:
		return
	case *rsyntax.Call:
		n, _ := callee(x)
		switch {
		case n == "quote" || n == "bquote" || n == "expression":
			return // walked by the visit
		case textFuncs[n] && !parsed:
			return // text is not evaluated as code here
		}
	}
	a.addHint(v.Pos(), "computed code for "+where, "write the code itself, not a value that holds it")
}

func (a *analysis) formulaArg(v rsyntax.Node, where string) {
	switch x := v.(type) {
	case *rsyntax.Binary:
		if x.Op == "~" {
			return
		}
	case *rsyntax.Unary:
		if x.Op == "~" {
			return
		}
	case *rsyntax.Const:
		return
	case *rsyntax.String:
		a.parsedString(x, "formula string for "+where)
		return
	case *rsyntax.Symbol:
		if b, ok := a.bound.lookup(x.Name); ok && !b.notFormula && a.sc.isBound(x.Name) {
			return
		}
		if a.isFit(x) {
			return // a fitted model, not a formula: no formula method is reached
		}
	}
	a.addHint(v.Pos(), "computed formula for "+where, "write the formula itself, e.g. lm(y ~ x, data = d)")
}

func (a *analysis) envArg(v rsyntax.Node, where string) {
	switch x := v.(type) {
	case *rsyntax.Const:
		if x.Name == "NULL" || x.Name == "TRUE" {
			return
		}
	case *rsyntax.Call:
		if isNewEnv(x) {
			return
		}
	case *rsyntax.Symbol:
		if b, ok := a.bound.lookup(x.Name); ok && !b.notEnv && a.sc.isBound(x.Name) {
			return
		}
	}
	a.addHint(v.Pos(), "environment argument "+where+" is not one the script made", "use an environment from new.env(), or leave the argument out")
}

func (a *analysis) unserializeArg(c *rsyntax.Call, fn *model.Function, v rsyntax.Node, where string) {
	if fn.Name == "data" && fn.Pkg == "utils" {
		m, _, _ := matchModelInto(nil, nil, fn.Sigs[0].Formals, c.Args)
		pkgLiteral := false
		for k, f := range fn.Sigs[0].Formals {
			if f == "package" && m[k] >= 0 {
				_, pkgLiteral = c.Args[m[k]].Value.(*rsyntax.String)
			}
		}
		_, isSym := v.(*rsyntax.Symbol)
		_, isStr := v.(*rsyntax.String)
		if pkgLiteral && (isSym || isStr) {
			return
		}
		a.addHint(v.Pos(), "data() without a literal package also sources R files from the working directory", `name the data set and its package, e.g. data(iris, package = "datasets"), or use datasets::iris`)
		return
	}
	if s, ok := v.(*rsyntax.String); ok && a.readable[s.Value] {
		return
	}
	a.addHint(v.Pos(), "argument "+where+" unserializes data that may carry code", `read back only what the statement just before saved, with a literal path: saveRDS(x, "f.rds"); y <- readRDS("f.rds")`)
}

// parsedString parses the text of s as R and reports its references at
// the position of s: R parses it and evaluates it as code.
func (a *analysis) parsedString(s *rsyntax.String, what string) {
	if a.sub == nil {
		// One parser and finder per level of nesting, reused for every
		// string at that level: each is done with before the next.
		a.sub = &subFinder{}
		a.sub.fd.a.nesting = a.nesting + 1
		a.sub.fd.a.planMemo = a.planMemo
	}
	sub := a.sub
	f, err := sub.p.Parse([]byte(s.Value), rsyntax.Options{})
	if err != nil || a.nesting > 4 {
		a.addHint(s.P, what+" does not parse", "write the code itself")
		return
	}
	for _, r := range sub.fd.Find(f) {
		a.add(r.Kind, r.Name, r.Pkg, s.P, what+": "+r.Detail)
	}
}

// doCallArgs checks do.call(what, args): when what names a modelled
// function, the elements of a literal list() are its arguments; any other
// args may carry a function name or code to that function.
func (a *analysis) doCallArgs(c *rsyntax.Call) {
	sp := specs["do.call"]
	m := matchArgs(sp.formals, c.Args)
	wi, ok1 := m.lookup("what")
	ai, ok2 := m.lookup("args")
	if !ok1 || !ok2 {
		return
	}
	what, ok := nameOf(c.Args[wi].Value)
	if !ok {
		return // a computed what is dynamic already
	}
	fns := modelFuncs(what, "")
	if len(fns) == 0 {
		return
	}
	if l, ok := c.Args[ai].Value.(*rsyntax.Call); ok {
		if n, _ := callee(l); n == "list" {
			syn := &rsyntax.Call{P: c.P, Fn: &rsyntax.Symbol{P: c.Args[wi].Value.Pos(), Name: what}, Args: l.Args}
			flags := make([]bool, len(l.Args))
			wp := a.plan(what, "")
			if wp.sp != nil {
				a.special(syn, what, *wp.sp, flags)
			}
			a.modelCall(syn, what, wp.fns, wp.sp, flags)
			return
		}
	}
	for _, fn := range fns {
		for _, sig := range fn.Sigs {
			for i := range sig.Params {
				if risky(&sig.Params[i]) {
					a.addHint(c.Args[ai].Value.Pos(), "arguments of do.call("+what+", ...) may carry a function, code or environment", "write the call itself, or do.call with a literal list(...)")
					return
				}
			}
		}
	}
}

// matchModel binds args to formals like R (exact names, partial names
// before ..., positions before ...). It returns the argument index of
// each formal (-1 for none), the arguments that fall into ..., and
// whether an argument is ... itself (any formal not named exactly may
// come from it).
func (a *analysis) matchModel(formals []string, args []rsyntax.Arg) (bound []int, dotArgs []int, fromDots bool) {
	a.mused = slices.Grow(a.mused[:0], len(args))[:len(args)]
	bound, dotArgs, fromDots = matchModelIntoDots(a.mbound[:0], a.mused, a.mdots[:0], formals, args)
	a.mbound = bound
	if dotArgs != nil {
		a.mdots = dotArgs
	}
	return bound, dotArgs, fromDots
}

// matchModelInto is matchModel with the memory given (nil to allocate):
// the results are valid until the memory is reused.
func matchModelInto(boundBuf []int, usedBuf []bool, formals []string, args []rsyntax.Arg) (bound []int, dotArgs []int, fromDots bool) {
	return matchModelIntoDots(boundBuf, usedBuf, nil, formals, args)
}

func matchModelIntoDots(boundBuf []int, usedBuf []bool, dotsBuf []int, formals []string, args []rsyntax.Arg) (bound []int, dotArgs []int, fromDots bool) {
	dotArgs = dotsBuf
	bound = slices.Grow(boundBuf[:0], len(formals))[:len(formals)]
	for k := range bound {
		bound[k] = -1
	}
	used := slices.Grow(usedBuf[:0], len(args))[:len(args)]
	clear(used)
	dotsAt := len(formals)
	for k, f := range formals {
		if f == "..." {
			dotsAt = k
			break
		}
	}
	for i := range args {
		if isDots(&args[i]) {
			fromDots, used[i] = true, true
		}
	}
	for i := range args {
		if !args[i].HasName || used[i] {
			continue
		}
		for k, f := range formals {
			if f != "..." && f == args[i].Name && bound[k] < 0 {
				bound[k], used[i] = i, true
				break
			}
		}
	}
	for i := range args {
		if !args[i].HasName || used[i] || args[i].Name == "" {
			continue
		}
		match := -1
		for k := 0; k < dotsAt; k++ {
			if bound[k] < 0 && strings.HasPrefix(formals[k], args[i].Name) {
				if match >= 0 {
					match = -2
					break
				}
				match = k
			}
		}
		if match >= 0 {
			bound[match], used[i] = i, true
		}
	}
	next := 0
	for k := 0; k < dotsAt; k++ {
		if bound[k] >= 0 {
			continue
		}
		for next < len(args) && (used[next] || args[next].HasName) {
			next++
		}
		if next >= len(args) {
			break
		}
		bound[k], used[next] = next, true
		next++
	}
	if dotsAt == len(formals) {
		dotArgs = nil
	} else {
		for i := range args {
			if !used[i] {
				dotArgs = append(dotArgs, i)
			}
		}
	}
	return bound, dotArgs, fromDots
}

// isFormulaLiteral reports whether v is a literal formula (y ~ x, ~ x).
func isFormulaLiteral(v rsyntax.Node) bool {
	for {
		switch x := v.(type) {
		case *rsyntax.Paren:
			v = x.X
		case *rsyntax.Binary:
			return x.Op == "~"
		case *rsyntax.Unary:
			return x.Op == "~"
		default:
			return false
		}
	}
}

// isNewEnv reports whether v is a call of new.env().
func isNewEnv(v rsyntax.Node) bool {
	c, ok := v.(*rsyntax.Call)
	if !ok {
		return false
	}
	n, pkg := callee(c)
	return n == "new.env" && (pkg == "" || pkg == "base")
}

// isPlainRead reports whether a top-level statement is readRDS("f"),
// load("f") or x <- one of them, with literal arguments only: nothing
// else in it can write the file first.
func isPlainRead(e rsyntax.Node) bool {
	if b, ok := e.(*rsyntax.Binary); ok && (b.Op == "<-" || b.Op == "=") {
		if _, ok := b.X.(*rsyntax.Symbol); !ok {
			return false
		}
		e = b.Y
	}
	c, ok := e.(*rsyntax.Call)
	if !ok {
		return false
	}
	if n, pkg := callee(c); (n != "readRDS" && n != "load") || (pkg != "" && pkg != "base") {
		return false
	}
	for _, arg := range c.Args {
		switch arg.Value.(type) {
		case *rsyntax.String, *rsyntax.Const, *rsyntax.Num:
		default:
			return false
		}
	}
	return true
}

// saveTargets records the literal file a top-level saveRDS() or save()
// statement writes.
func (a *analysis) saveTargets(e rsyntax.Node) {
	c, ok := e.(*rsyntax.Call)
	if !ok {
		return
	}
	n, pkg := callee(c)
	if pkg != "" && pkg != "base" {
		return
	}
	var formals []string
	switch n {
	case "saveRDS":
		formals = []string{"object", "file", "ascii", "version", "compress", "refhook"}
	case "save":
		formals = []string{"...", "list", "file", "ascii", "version", "envir", "compress", "compression_level", "eval.promises", "precheck"}
	default:
		return
	}
	bound, _, fromDots := matchModelInto(nil, nil, formals, c.Args)
	if fromDots {
		return
	}
	for k, f := range formals {
		if f == "file" && bound[k] >= 0 {
			if s, ok := c.Args[bound[k]].Value.(*rsyntax.String); ok {
				a.saved = map[string]bool{s.Value: true}
			}
		}
	}
}

// isFit reports whether v is a name bound here, and only ever, to a
// literal call of a model fitting function.
func (a *analysis) isFit(v rsyntax.Node) bool {
	x, ok := v.(*rsyntax.Symbol)
	if !ok {
		return false
	}
	b, ok := a.bound.lookup(x.Name)
	return ok && !b.notFit && a.sc.isBound(x.Name)
}
