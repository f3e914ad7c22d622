// Package apispec holds feepos's OpenAPI 3.1 description (openapi.json,
// served at /api/v1/openapi.json) and checks answers against it: the
// tests run every API answer they get through CheckResponse, and compare
// the router's routes with Operations, so the description cannot drift
// from the handlers (docs/API.md "OpenAPI").
//
// JSON Schema validation is santhosh-tekuri/jsonschema (draft 2020-12,
// the dialect of OpenAPI 3.1); the small path matching is written here
// because it only needs to map a concrete path onto the description's
// templates.
package apispec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// JSON is the description, as served.
//
//go:embed openapi.json
var JSON []byte

// Op is one operation of the description.
type Op struct {
	Method string // GET, POST…
	Path   string // the template, e.g. /api/v1/payments/{id}
}

func (o Op) String() string { return o.Method + " " + o.Path }

// Spec is the loaded description with its response schemas compiled.
type Spec struct {
	ops      []Op
	matchers []matcher
	// schemas by op, status ("200", "default") and media type.
	schemas map[Op]map[string]map[string]*jsonschema.Schema
}

type matcher struct {
	op Op
	re *regexp.Regexp
	n  int // literal characters: the most specific template wins
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load parses and compiles the embedded description once.
func Load() (*Spec, error) {
	loadOnce.Do(func() { loaded, loadErr = parse(JSON) })
	return loaded, loadErr
}

type document struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Responses map[string]response `json:"responses"`
	} `json:"components"`
}

type operation struct {
	Responses map[string]response `json:"responses"`
}

// response is a response object, or a $ref to one of
// components/responses.
type response struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema json.RawMessage `json:"schema"`
	} `json:"content"`
}

const responsesRef = "#/components/responses/"

var methods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}

func parse(b []byte) (*Spec, error) {
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		return nil, fmt.Errorf("openapi.json: version %q, want 3.1.x", doc.OpenAPI)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const base = "mem:///openapi.json"
	if err := c.AddResource(base, raw); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	s := &Spec{schemas: map[Op]map[string]map[string]*jsonschema.Schema{}}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for m, rawOp := range doc.Paths[p] {
			if !methods[m] {
				continue
			}
			op := Op{Method: strings.ToUpper(m), Path: p}
			s.ops = append(s.ops, op)
			var o operation
			if err := json.Unmarshal(rawOp, &o); err != nil {
				return nil, fmt.Errorf("openapi.json %s: %w", op, err)
			}
			byStatus := map[string]map[string]*jsonschema.Schema{}
			for status, resp := range o.Responses {
				at := "#/paths/" + pointerEscape(p) + "/" + m + "/responses/" + status
				if resp.Ref != "" {
					name, ok := strings.CutPrefix(resp.Ref, responsesRef)
					shared, found := doc.Components.Responses[name]
					if !ok || !found {
						return nil, fmt.Errorf("openapi.json %s %s: $ref %q is not one of components/responses", op, status, resp.Ref)
					}
					resp, at = shared, responsesRef+pointerEscape(name)
				}
				byType := map[string]*jsonschema.Schema{}
				for mt, content := range resp.Content {
					if len(content.Schema) == 0 {
						byType[mt] = nil
						continue
					}
					loc := base + at + "/content/" + pointerEscape(mt) + "/schema"
					sch, err := c.Compile(loc)
					if err != nil {
						return nil, fmt.Errorf("openapi.json %s %s %s: %w", op, status, mt, err)
					}
					byType[mt] = sch
				}
				byStatus[status] = byType
			}
			s.schemas[op] = byStatus
			s.matchers = append(s.matchers, newMatcher(op))
		}
	}
	sort.Slice(s.ops, func(i, j int) bool {
		if s.ops[i].Path != s.ops[j].Path {
			return s.ops[i].Path < s.ops[j].Path
		}
		return s.ops[i].Method < s.ops[j].Method
	})
	sort.SliceStable(s.matchers, func(i, j int) bool { return s.matchers[i].n > s.matchers[j].n })
	return s, nil
}

func pointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

var param = regexp.MustCompile(`\{[^}/]+\}`)

func newMatcher(op Op) matcher {
	lits := param.Split(op.Path, -1)
	n := 0
	for i, l := range lits {
		n += len(l)
		lits[i] = regexp.QuoteMeta(l)
	}
	return matcher{op: op, re: regexp.MustCompile("^" + strings.Join(lits, "[^/]+") + "$"), n: n}
}

// Operations lists the described operations, by path then method.
func (s *Spec) Operations() []Op { return append([]Op(nil), s.ops...) }

// Statuses lists the statuses an operation describes ("200", "4XX",
// "default"…), sorted.
func (s *Spec) Statuses(op Op) []string {
	out := make([]string, 0, len(s.schemas[op]))
	for st := range s.schemas[op] {
		out = append(out, st)
	}
	sort.Strings(out)
	return out
}

// Find is the described operation a request's method and path fall
// under, the most specific template first.
func (s *Spec) Find(method, path string) (Op, bool) {
	for _, m := range s.matchers {
		if m.op.Method == method && m.re.MatchString(path) {
			return m.op, true
		}
	}
	return Op{}, false
}

// CheckResponse says whether an answer is one the description gives for
// the request: the operation is described, the status is among its
// responses (or it has a default), the media type is one of that
// response's, and a JSON body validates against its schema.
func (s *Spec) CheckResponse(method, path string, status int, contentType string, body []byte) error {
	op, ok := s.Find(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not described in openapi.json", method, path)
	}
	byStatus := s.schemas[op]
	byType, ok := byStatus[strconv.Itoa(status)]
	if !ok {
		byType, ok = byStatus[strconv.Itoa(status/100)+"XX"]
	}
	if !ok {
		byType, ok = byStatus["default"]
	}
	if !ok {
		return fmt.Errorf("%s answered %d, which openapi.json does not describe", op, status)
	}
	if len(byType) == 0 {
		if len(body) > 0 && status != 204 {
			return fmt.Errorf("%s %d: openapi.json describes no body, the handler sent %d bytes (%s)", op, status, len(body), contentType)
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("%s %d: content type %q: %w", op, status, contentType, err)
	}
	sch, ok := byType[mt]
	if !ok {
		return fmt.Errorf("%s %d: openapi.json describes %s, the handler sent %s", op, status, mediaTypes(byType), mt)
	}
	if sch == nil || !strings.Contains(mt, "json") {
		return nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %d: the body is not JSON: %w", op, status, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s %d: the body does not match openapi.json: %v\nbody: %s", op, status, err, truncate(body))
	}
	return nil
}

func mediaTypes(m map[string]*jsonschema.Schema) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
