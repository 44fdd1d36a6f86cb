package rdata

// Byte code (compiled closures) is read only to get past it: rwarden never
// hands a closure on, but a list holding one must still decode so that the
// caller can say what it refused. The layout is serialize.c's ReadBC.

func (d *decoder) bytecode() error {
	n, err := d.r.int32()
	if err != nil {
		return err
	}
	if n < 0 || int(n) > d.r.remaining()/4 {
		return d.r.fail("byte code with %d shared cells", n)
	}
	d.bcReps = append(d.bcReps, int(n))
	defer func() { d.bcReps = d.bcReps[:len(d.bcReps)-1] }()
	return d.bytecode1()
}

func (d *decoder) bytecode1() error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	code, err := d.item()
	if err != nil {
		return err
	}
	if code.Type != INTSXP {
		return d.r.fail("byte code is a %s", code.Type)
	}
	n, err := d.r.int32()
	if err != nil {
		return err
	}
	if n < 0 || int(n) > d.r.remaining()/4 {
		return d.r.fail("byte code with %d constants", n)
	}
	for range n {
		t, err := d.r.int32()
		if err != nil {
			return err
		}
		switch t {
		case int32(BCODESXP):
			err = d.bytecode1()
		case int32(LANGSXP), int32(LISTSXP), sxBCREPDEF, sxBCREPREF, sxATTRLANG, sxATTRLIST:
			err = d.bcLang(t)
		default:
			_, err = d.item()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// bcLang reads ReadBCLang's format; the CDR chain is followed iteratively.
func (d *decoder) bcLang(t int32) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	reps := d.bcReps[len(d.bcReps)-1]
	for {
		switch t {
		case sxBCREPREF:
			i, err := d.r.int32()
			if err != nil {
				return err
			}
			if i < 0 || int(i) >= reps {
				return d.r.fail("byte code reference %d outside 0..%d", i, reps-1)
			}
			return nil
		case sxBCREPDEF, int32(LANGSXP), int32(LISTSXP), sxATTRLANG, sxATTRLIST:
			if t == sxBCREPDEF {
				pos, err := d.r.int32()
				if err != nil {
					return err
				}
				if pos < 0 || int(pos) >= reps {
					return d.r.fail("byte code definition %d outside 0..%d", pos, reps-1)
				}
				if t, err = d.r.int32(); err != nil {
					return err
				}
			}
			switch t {
			case sxATTRLANG, sxATTRLIST:
				if _, err := d.item(); err != nil { // attributes
					return err
				}
			case int32(LANGSXP), int32(LISTSXP):
			default:
				return d.r.fail("byte code cell of type %d", t)
			}
			if _, err := d.item(); err != nil { // tag
				return err
			}
			car, err := d.r.int32()
			if err != nil {
				return err
			}
			if err := d.bcLang(car); err != nil {
				return err
			}
			next, err := d.r.int32()
			if err != nil {
				return err
			}
			t = next
		default:
			// A padding word was read as t; a whole item follows.
			_, err := d.item()
			return err
		}
	}
}
