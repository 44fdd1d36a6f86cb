package httpapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/rdata"
)

func TestParseTables(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) ([]column, error)
		in    string
		want  string // the data frame's JSON rendering
		types []rdata.Type
		err   string
	}{
		{"rows", parseJSONTable, `[{"x":1,"y":"a"},{"y":"b","x":2.5,"z":true}]`,
			`[{"x":1,"y":"a"},{"x":2.5,"y":"b","z":true}]`, []rdata.Type{rdata.REALSXP, rdata.STRSXP, rdata.LGLSXP}, ""},
		{"columns keep their order", parseJSONTable, `{"b":[1,2],"a":[null,"q"]}`,
			`[{"b":1},{"b":2,"a":"q"}]`, []rdata.Type{rdata.INTSXP, rdata.STRSXP}, ""},
		{"mixed number and bool", parseJSONTable, `{"v":[1,true,false]}`, `[{"v":1},{"v":1},{"v":0}]`, []rdata.Type{rdata.INTSXP}, ""},
		{"empty rows", parseJSONTable, `[]`, `[]`, nil, ""},
		{"nested", parseJSONTable, `[{"x":[1]}]`, "", nil, "nested"},
		{"not rows", parseJSONTable, `[1,2]`, "", nil, "not an object"},
		{"ragged columns", parseJSONTable, `{"a":[1],"b":[1,2]}`, "", nil, "has 2 values"},
		{"repeated column", parseJSONTable, `{"a":[1],"a":[2]}`, "", nil, "appears twice"},
		{"trailing", parseJSONTable, `[] []`, "", nil, "after the JSON"},
		{"scalar", parseJSONTable, `3`, "", nil, "expected an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, err := tt.parse([]byte(tt.in))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			df := dataFrame(cols)
			j, err := toJSON(df)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(j))
			for i, typ := range tt.types {
				assert.Equal(t, typ, df.Elems[i].Type, "column %d", i)
			}
			// What the worker will receive round-trips through R's format.
			ser, err := rdata.Serialize(df)
			require.NoError(t, err)
			back, err := rdata.Unserialize(ser, rdata.Limits{})
			require.NoError(t, err)
			require.NoError(t, rdata.CheckData(back))
		})
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"x": true, "my.data": true, "df_2": true, "A": true,
		"": false, ".hidden": false, "_x": false, "1x": false, "a/b": false, "../x": false,
		"if": false, "TRUE": false, "a b": false, "é": false, string(make([]byte, 65)): false,
	} {
		assert.Equal(t, ok, validName(name), "%q", name)
	}
}

func TestValueJSON(t *testing.T) {
	factor := rdata.Ints(2, 1, rdata.NAInteger)
	factor.Attr = []rdata.Attr{{Name: "levels", Value: rdata.Strings("a", "b")}, {Name: "class", Value: rdata.Strings("factor")}}
	mat := rdata.Ints(1, 2, 3, 4, 5, 6)
	mat.Attr = []rdata.Attr{{Name: "dim", Value: rdata.Ints(2, 3)}}
	named := rdata.List(rdata.Reals(1.5), rdata.Strings("x"))
	named.Attr = []rdata.Attr{{Name: "names", Value: rdata.Strings("a", "b")}}
	date := rdata.Reals(0, 19000)
	date.Attr = []rdata.Attr{{Name: "class", Value: rdata.Strings("Date")}}
	na := &rdata.Value{Type: rdata.STRSXP, Strings: []rdata.String{rdata.Str("é"), {NA: true}}}
	tests := []struct {
		name string
		v    *rdata.Value
		want string
		err  bool
	}{
		{"null", rdata.Null(), `null`, false},
		{"logical", rdata.Logicals(1, 0, rdata.NAInteger), `[true,false,null]`, false},
		{"double NA NaN Inf", rdata.Reals(1, rdata.NAReal, 0.1), `[1,null,0.1]`, false},
		{"strings", na, `["é",null]`, false},
		{"factor", factor, `["b","a",null]`, false},
		{"matrix by rows", mat, `[[1,3,5],[2,4,6]]`, false},
		{"named list", named, `{"a":[1.5],"b":["x"]}`, false},
		{"unnamed list", rdata.List(rdata.Null(), rdata.Ints(1)), `[null,[1]]`, false},
		{"date", date, `["1970-01-01","2022-01-08"]`, false},
		{"raw", &rdata.Value{Type: rdata.RAWSXP, Raw: []byte{1, 2}}, `"AQI="`, false},
		{"complex", &rdata.Value{Type: rdata.CPLXSXP, Complex: []complex128{complex(1, 2)}}, `["1+2i"]`, false},
		{"closure", &rdata.Value{Type: rdata.CLOSXP}, ``, true},
		{"symbol", rdata.Sym("x"), ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := toJSON(tt.v)
			if tt.err {
				assert.ErrorIs(t, err, errNotJSON)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(j))
		})
	}
}

// FuzzTables: uploaded tables come from any authenticated client; no
// body may crash the parsers, and whatever they accept must become a data
// frame that serializes and passes the plain-data check.
func FuzzTables(f *testing.F) {
	for _, s := range []string{`[{"x":1,"y":"a"}]`, `{"a":[1,null,true],"b":["x","y","z"]}`,
		`[{"x":{"y":1}}]`, `{"a":[1e400]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, parse := range []func([]byte) ([]column, error){parseJSONTable} {
			cols, err := parse(in)
			if err != nil {
				continue
			}
			df := dataFrame(cols)
			ser, err := rdata.Serialize(df)
			if err != nil {
				t.Fatalf("accepted table does not serialize: %v", err)
			}
			back, err := rdata.Unserialize(ser, rdata.Limits{})
			if err != nil {
				t.Fatalf("serialized table does not decode: %v", err)
			}
			if err := rdata.CheckData(back); err != nil {
				t.Fatalf("accepted table is not plain data: %v", err)
			}
			if _, err := toJSON(back); err != nil {
				t.Fatalf("accepted table has no JSON form: %v", err)
			}
		}
	})
}

// FuzzValueJSON: values come from the worker, which runs user code; no
// serialized value may crash the JSON rendering.
func FuzzValueJSON(f *testing.F) {
	df := dataFrame([]column{{name: "x", cells: []any{1.0, nil}}, {name: "y", cells: []any{"a", "b"}}})
	ser, _ := rdata.Serialize(df)
	f.Add(ser)
	f.Add([]byte("X\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = valueJSON(in)
		_, _ = valueCSV(in)
	})
}
