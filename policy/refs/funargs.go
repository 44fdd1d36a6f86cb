package refs

import (
	"strings"

	"github.com/rwarden/rwarden/policy/rsyntax"
)

// argRole says what a formal argument of a known function takes.
type argRole uint8

const (
	roleFun    argRole = iota + 1 // a function or the name of one (match.fun semantics)
	roleName                      // the name of an object, as a string (get semantics)
	rolePkg                       // a package name, evaluated
	rolePkgNSE                    // a package name, or a bare name (library, require)
)

// spec describes a function whose arguments name functions or packages:
// its formals as in R 4.2 (for argument matching) and the roles of some.
type spec struct {
	formals []string
	roles   map[string]argRole
	// texts are the details of each formal with a role, filled in by
	// init so that a reference allocates no detail text.
	texts map[string]*argTexts
}

// argTexts are the details of references from one argument.
type argTexts struct {
	where string // "FUN of lapply"
	str   string // "string argument FUN of lapply"
	fun   string // "function argument FUN of lapply"
}

func fun(formals string, roles map[string]argRole) spec {
	return spec{formals: strings.Split(formals, ","), roles: roles}
}

var (
	funX    = map[string]argRole{"FUN": roleFun}
	funF    = map[string]argRole{"f": roleFun}
	funLowF = map[string]argRole{"fun": roleFun}
	nameX   = map[string]argRole{"x": roleName}
	nameN   = map[string]argRole{"name": roleName}
)

// specs lists the functions the analysis understands, by name. The
// formals are R 4.2's (formals(args(f))).
var specs = withTexts(map[string]spec{
	// base
	"lapply":     fun("X,FUN,...", funX),
	"sapply":     fun("X,FUN,...,simplify,USE.NAMES", funX),
	"vapply":     fun("X,FUN,FUN.VALUE,...,USE.NAMES", funX),
	"mapply":     fun("FUN,...,MoreArgs,SIMPLIFY,USE.NAMES", funX),
	"Map":        fun("f,...", funF),
	"Filter":     fun("f,x", funF),
	"Reduce":     fun("f,x,init,right,accumulate", funF),
	"Position":   fun("f,x,right,nomatch", funF),
	"Find":       fun("f,x,right,nomatch", funF),
	"Negate":     fun("f", funF),
	"do.call":    fun("what,args,quote,envir", map[string]argRole{"what": roleFun}),
	"match.fun":  fun("FUN,descend", funX),
	"outer":      fun("X,Y,FUN,...", funX),
	"kronecker":  fun("X,Y,FUN,make.dimnames,...", funX),
	"Vectorize":  fun("FUN,vectorize.args,SIMPLIFY,USE.NAMES", funX),
	"apply":      fun("X,MARGIN,FUN,...,simplify", funX),
	"tapply":     fun("X,INDEX,FUN,...,default,simplify", funX),
	"sweep":      fun("x,MARGIN,STATS,FUN,check.margin,...", funX),
	"by":         fun("data,INDICES,FUN,...,simplify", funX),
	"rapply":     fun("object,f,classes,deflt,how,...", funF),
	"eapply":     fun("env,FUN,...,all.names,USE.NAMES", funX),
	"body":       fun("fun", funLowF),
	"formals":    fun("fun,envir", funLowF),
	"args":       fun("name", map[string]argRole{"name": roleFun}),
	"call":       fun("name,...", nameN),
	".Primitive": fun("name", nameN),
	"get":        fun("x,pos,envir,mode,inherits", nameX),
	"get0":       fun("x,envir,mode,inherits,ifnotfound", nameX),
	"mget":       fun("x,envir,mode,ifnotfound,inherits", nameX),
	"exists":     fun("x,where,envir,frame,mode,inherits", nameX), // only with mode = "function"
	// stats (aggregate's FUN reaches the data.frame and formula methods
	// through ..., third in both)
	"aggregate": fun("x,by,FUN,...", funX),
	"ave":       fun("x,...,FUN", funX),
	"integrate": fun("f,lower,upper,...,subdivisions,rel.tol,abs.tol,stop.on.error,keep.xy,aux", funF),
	"optimize":  fun("f,interval,...,lower,upper,maximum,tol", funF),
	"optimise":  fun("f,interval,...,lower,upper,maximum,tol", funF),
	"optim":     fun("par,fn,gr,...,method,lower,upper,control,hessian", map[string]argRole{"fn": roleFun, "gr": roleFun}),
	"uniroot":   fun("f,interval,...,lower,upper,f.lower,f.upper,extendInt,check.conv,tol,maxiter,trace", funF),
	"nlm":       fun("f,p,...,hessian,typsize,fscale,print.level,ndigit,gradtol,stepmax,steptol,iterlim,check.analyticals", funF),
	"nlminb":    fun("start,objective,gradient,hessian,...,scale,control,lower,upper", map[string]argRole{"objective": roleFun, "gradient": roleFun, "hessian": roleFun}),
	// methods
	"getFunction": fun("name,generic,mustFind,where", nameN),
	// parallel
	"mclapply":       fun("X,FUN,...,mc.preschedule,mc.set.seed,mc.silent,mc.cores,mc.cleanup,mc.allow.recursive,affinity.list", funX),
	"mcmapply":       fun("FUN,...,MoreArgs,SIMPLIFY,USE.NAMES,mc.preschedule,mc.set.seed,mc.silent,mc.cores,mc.cleanup,affinity.list", funX),
	"mcMap":          fun("f,...", funF),
	"parLapply":      fun("cl,X,fun,...,chunk.size", funLowF),
	"parSapply":      fun("cl,X,FUN,...,simplify,USE.NAMES,chunk.size", funX),
	"parApply":       fun("cl,X,MARGIN,FUN,...,chunk.size", funX),
	"parRapply":      fun("cl,x,FUN,...,chunk.size", funX),
	"parCapply":      fun("cl,x,FUN,...,chunk.size", funX),
	"clusterApply":   fun("cl,x,fun,...", funLowF),
	"clusterApplyLB": fun("cl,x,fun,...", funLowF),
	"clusterCall":    fun("cl,fun,...", funLowF),
	"clusterMap":     fun("cl,fun,...,MoreArgs,RECYCLE,SIMPLIFY,USE.NAMES,.scheduling", funLowF),
	"pvec":           fun("v,FUN,...,mc.set.seed,mc.silent,mc.cores,mc.cleanup", funX),
	// package loading
	"library":          fun("package,help,pos,lib.loc,character.only,logical.return,warn.conflicts,quietly,verbose,mask.ok,exclude,include.only,attach.required", map[string]argRole{"package": rolePkgNSE}),
	"require":          fun("package,lib.loc,quietly,warn.conflicts,character.only,mask.ok,exclude,include.only,attach.required", map[string]argRole{"package": rolePkgNSE}),
	"requireNamespace": fun("package,...,quietly", map[string]argRole{"package": rolePkg}),
	"loadNamespace":    fun("package,lib.loc,keep.source,partial,versionCheck,keep.parse.data", map[string]argRole{"package": rolePkg}),
	"attachNamespace":  fun("ns,pos,depends,exclude,include.only", map[string]argRole{"ns": rolePkg}),
	"asNamespace":      fun("ns,base.OK", map[string]argRole{"ns": rolePkg}),
	"getNamespace":     fun("name", map[string]argRole{"name": rolePkg}),
	// pkg::f and pkg:::f spelled as calls
	"getExportedValue": fun("ns,name", nil),
	"getFromNamespace": fun("x,ns,pos,envir", nil),
	// bindings (see boundNames)
	"assign":            fun("x,value,pos,envir,inherits,immediate", nil),
	"delayedAssign":     fun("x,value,eval.env,assign.env", nil),
	"makeActiveBinding": fun("sym,fun,env", nil),
})

// maxFormals is the most formals a function in specs has; matched keeps
// its bindings in arrays of this size rather than in maps.
const maxFormals = 16

// withTexts fills in the texts of every spec. It runs as part of specs'
// initialization (not in an init function), so that the tables built from
// specs, such as calleePlans, see the texts.
func withTexts(specs map[string]spec) map[string]spec {
	for name, sp := range specs {
		if len(sp.formals) > maxFormals {
			panic("refs: specs[" + name + "] has more than maxFormals formals")
		}
		sp.texts = map[string]*argTexts{}
		for formal := range sp.roles {
			where := formal + " of " + name
			sp.texts[formal] = &argTexts{where: where, str: "string argument " + where, fun: "function argument " + where}
		}
		specs[name] = sp
	}
	return specs
}

// matched is the result of R's argument matching for one call.
type matched struct {
	formals []string
	// arg[k] is 1 + the index of the argument bound to formals[k], 0 when
	// none is; exact[k] is set when it was matched by its exact name.
	arg   [maxFormals]int
	exact [maxFormals]bool
	// dots is set when an argument is `...`: the caller's arguments may
	// then bind any formal that was not matched by exact name.
	dots bool
	// ambiguous is set when R would refuse the call (two arguments for
	// one formal, a partial name matching several formals).
	ambiguous bool
}

// lookup returns the index of the argument bound to formal.
func (m *matched) lookup(formal string) (int, bool) {
	for k, f := range m.formals {
		if f == formal {
			return m.arg[k] - 1, m.arg[k] > 0
		}
	}
	return -1, false
}

// isExact reports whether formal was matched by its exact name.
func (m *matched) isExact(formal string) bool {
	for k, f := range m.formals {
		if f == formal {
			return m.exact[k]
		}
	}
	return false
}

// matchArgs binds args to formals like R's matchArgs: exact names first,
// then partial names for formals before ..., then positions for formals
// before ....
func matchArgs(formals []string, args []rsyntax.Arg) matched {
	m := matched{formals: formals}
	var buf [32]bool
	var used []bool
	if len(args) <= len(buf) {
		used = buf[:len(args)]
	} else {
		used = make([]bool, len(args))
	}
	for i := range args {
		if isDots(&args[i]) {
			m.dots = true
			used[i] = true
		}
	}
	for i := range args {
		a := &args[i]
		if !a.HasName {
			continue
		}
		for k, f := range formals {
			if f != "..." && a.Name == f {
				if m.arg[k] > 0 {
					m.ambiguous = true
				}
				m.arg[k], m.exact[k], used[i] = i+1, true, true
			}
		}
	}
	for i := range args {
		a := &args[i]
		if !a.HasName || used[i] || a.Name == "" {
			continue
		}
		match := -1
		for k, f := range formals {
			if f == "..." {
				break
			}
			if m.arg[k] == 0 && strings.HasPrefix(f, a.Name) {
				if match >= 0 {
					m.ambiguous = true
				}
				match = k
			}
		}
		if match >= 0 {
			m.arg[match], used[i] = i+1, true
		}
	}
	next := 0
	for k, f := range formals {
		if f == "..." {
			break
		}
		if m.arg[k] > 0 {
			continue
		}
		for next < len(args) && (used[next] || args[next].HasName) {
			if isDots(&args[next]) {
				return m // positions after ... are unknown
			}
			next++
		}
		if next >= len(args) {
			break
		}
		m.arg[k], used[next] = next+1, true
		next++
	}
	return m
}

func isDots(a *rsyntax.Arg) bool {
	v, ok := a.Value.(*rsyntax.Symbol)
	return ok && !a.HasName && v.Name == "..."
}

// callee names the function of a call when it is a name, pkg::name or
// pkg:::name (the form a known function is called by).
func callee(c *rsyntax.Call) (name, pkg string) {
	switch fn := c.Fn.(type) {
	case *rsyntax.Symbol:
		return fn.Name, ""
	case *rsyntax.Binary:
		if fn.Op == "::" || fn.Op == ":::" {
			n, ok1 := nameOf(fn.Y)
			p, ok2 := nameOf(fn.X)
			if ok1 && ok2 {
				return n, p
			}
		}
	}
	return "", ""
}

// nameOf is the name in a name position: a symbol or a string.
func nameOf(n rsyntax.Node) (string, bool) {
	switch n := n.(type) {
	case *rsyntax.Symbol:
		return n.Name, true
	case *rsyntax.String:
		return n.Value, true
	}
	return "", false
}
