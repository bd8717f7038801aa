package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkKeys walks the YAML tree against the shape of t before decoding, so a
// typo or a wrong type is reported with its line, its full key and a fix,
// instead of yaml.v3's "field x not found in type config.authentik".
func checkKeys(doc *yaml.Node, v any) error {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return nil
	}
	return checkNode(doc, reflect.TypeOf(v).Elem(), "")
}

func checkNode(n *yaml.Node, t reflect.Type, key string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "key:" with nothing after it keeps the default
	}
	if t == reflect.TypeOf(Duration(0)) {
		return nil // Duration.UnmarshalYAML reports its own errors with the line
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return lineErrorf(n, "%s must be a block of keys, like %s", describe(key), exampleKey(t))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			f, ok := fieldByTag(t, k.Value)
			if !ok {
				return lineErrorf(k, "unknown key %q%s; %s", join(key, k.Value), inWhat(key), suggest(t, k.Value))
			}
			if err := checkNode(val, f.Type, join(key, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return lineErrorf(n, "%s must be a list, like [a, b] or lines starting with \"- \"", key)
		}
		for i, item := range n.Content {
			if err := checkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	case reflect.Int:
		if _, err := strconv.Atoi(n.Value); n.Kind != yaml.ScalarNode || err != nil {
			return lineErrorf(n, "%s: %q is not a whole number", key, n.Value)
		}
	case reflect.Bool:
		if _, err := strconv.ParseBool(n.Value); n.Kind != yaml.ScalarNode || err != nil {
			return lineErrorf(n, "%s: %q is not true or false", key, n.Value)
		}
	case reflect.String:
		if n.Kind == yaml.MappingNode && n.Style == yaml.FlowStyle && len(n.Content) == 2 && n.Content[1].Tag == "!!null" {
			// {profile} unquoted: YAML reads the braces as keys.
			v := "{" + n.Content[0].Value + "}"
			return lineErrorf(n, "%s: %s must be in quotes (\"%s\"): %s", key, v, v, bracesReason)
		}
		if n.Kind != yaml.ScalarNode {
			return lineErrorf(n, "%s must be a single value, not a list or a block", key)
		}
	}
	return nil
}

func lineErrorf(n *yaml.Node, format string, args ...any) error {
	return &lineError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag := strings.Split(f.Tag.Get("yaml"), ",")[0]; tag == name && tag != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func keysOf(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	return keys
}

func exampleKey(t reflect.Type) string {
	return fmt.Sprintf("%q", keysOf(t)[0]+": ...")
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func describe(key string) string {
	if key == "" {
		return "the file"
	}
	return key
}

func inWhat(key string) string {
	if key == "" {
		return ""
	}
	return " in " + key
}

// suggest names the closest known key (a typo is the usual cause) or lists them all.
func suggest(t reflect.Type, got string) string {
	keys := keysOf(t)
	best, bestDist := "", 4
	for _, k := range keys {
		if d := distance(strings.ToLower(got), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known keys here are " + joinQuoted(keys)
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func joinQuoted(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func trimYAMLPrefix(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n  ")
	return strings.ReplaceAll(s, "\n  ", "; ")
}
