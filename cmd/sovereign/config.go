package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/urfave/cli/v2"
)

// The node's config file (docs/adr/0045-node-config-file.md). Its keys are
// the names of the node's flags, so the flag definitions are the one source
// of truth: `sovereign config default` prints them, and --config accepts
// exactly them. A value comes from, in order: the flag, its environment
// variable, the file, the flag's default.

var configFlag = &cli.StringFlag{
	Name: "config", EnvVars: []string{"SOV_CONFIG"},
	Usage: "TOML file of node settings; its keys are these flags' names (print one with `sovereign config default`); flags and environment variables override it",
}

func init() { nodeCommand.Flags = append(nodeCommand.Flags, configFlag) }

var configCommand = &cli.Command{
	Name:  "config",
	Usage: "the node's config file",
	Subcommands: []*cli.Command{{
		Name:  "default",
		Usage: "print a config file with every key, its meaning and its default",
		Action: func(c *cli.Context) error {
			out, err := defaultConfigFile(configKeys(c.App, nodeCommand))
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(out)
			return err
		},
	}, {
		Name:      "check",
		Usage:     "check a config file as `sovereign node --config FILE` would read it, without starting a node",
		ArgsUsage: "FILE",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("usage: sovereign config check FILE")
			}
			if err := checkConfigFile(c.Args().First()); err != nil {
				return err
			}
			fmt.Printf("%s: ok\n", c.Args().First())
			return nil
		},
	}},
}

// checkConfigFile parses the node's flags with --config path and applies
// the file, as runNode does first.
func checkConfigFile(path string) error {
	node := *nodeCommand
	node.Action = func(c *cli.Context) error {
		if _, err := applyConfigFile(c); err != nil {
			return err
		}
		if c.String("datadir") == "" {
			return fmt.Errorf("config %s: datadir is not set", path)
		}
		return nil
	}
	app := &cli.App{Name: "sovereign", Flags: []cli.Flag{logLevelFlag}, Commands: []*cli.Command{&node}}
	return app.Run([]string{"sovereign", "node", "--config", path})
}

// notConfigKeys are flags that are no settings.
var notConfigKeys = map[string]bool{configFlag.Name: true, "help": true, "version": true, "generate-bash-completion": true}

// configKeys are the flags a config file may set for cmd: its visible flags
// and the application's global ones, except --config itself and help.
func configKeys(app *cli.App, cmd *cli.Command) []cli.Flag {
	var keys []cli.Flag
	for _, f := range append(append([]cli.Flag{}, app.Flags...), cmd.Flags...) {
		if vf, ok := f.(cli.VisibleFlag); (ok && !vf.IsVisible()) || notConfigKeys[f.Names()[0]] {
			continue
		}
		keys = append(keys, f)
	}
	return keys
}

// fileSettings are the config file's settings that are not flag values.
type fileSettings struct {
	// Webhooks written inline as [[webhooks]] tables, used unless the
	// webhooks flag or its variable names a file.
	Webhooks []node.Webhook
}

// applyConfigFile reads --config, if given, and sets every key of it whose
// flag was given neither on the command line nor in the environment. An
// unknown key, a duplicate or a value of the wrong type fails, naming it.
func applyConfigFile(c *cli.Context) (fileSettings, error) {
	path := c.String(configFlag.Name)
	if path == "" {
		return fileSettings{}, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fileSettings{}, fmt.Errorf("config: %w", err)
	}
	s, err := applyConfig(c, raw, configKeys(c.App, c.Command))
	if err != nil {
		return s, fmt.Errorf("config %s: %w", path, err)
	}
	return s, nil
}

// applyConfig applies a config file's text to c's flags (keys: the flags
// it may set).
func applyConfig(c *cli.Context, raw []byte, keys []cli.Flag) (fileSettings, error) {
	var s fileSettings
	var doc map[string]any
	if err := toml.Unmarshal(raw, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return s, fmt.Errorf("line %d column %d: %s", row, col, de.Error())
		}
		return s, err
	}
	flat := map[string]any{}
	if err := flatten(doc, "", flat); err != nil {
		return s, err
	}
	byName := map[string]cli.Flag{}
	for _, f := range keys {
		byName[f.Names()[0]] = f
	}
	names := make([]string, 0, len(flat))
	for k := range flat {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		f, ok := byName[name]
		if !ok {
			return s, fmt.Errorf("unknown key %q (the keys are the node's flag names; see `sovereign config default`)", name)
		}
		if c.IsSet(name) {
			continue // the flag or its environment variable wins
		}
		if name == "webhooks" {
			if tables, ok := flat[name].([]any); ok {
				var err error
				if s.Webhooks, err = inlineWebhooks(tables); err != nil {
					return s, fmt.Errorf("key %q: %w", name, err)
				}
				continue
			}
		}
		if err := setFlag(c, f, flat[name]); err != nil {
			return s, fmt.Errorf("key %q: %w", name, err)
		}
	}
	return s, nil
}

// flatten joins nested tables' keys with dots, so `[p2p] listen = [...]`,
// `p2p.listen = [...]` and `"p2p.listen" = [...]` all name the flag
// p2p.listen.
func flatten(doc map[string]any, prefix string, out map[string]any) error {
	for k, v := range doc {
		name := prefix + k
		if t, ok := v.(map[string]any); ok {
			if err := flatten(t, name+".", out); err != nil {
				return err
			}
			continue
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("key %q is given twice", name)
		}
		out[name] = v
	}
	return nil
}

// setFlag sets flag f to a TOML value, which must have the flag's type.
func setFlag(c *cli.Context, f cli.Flag, v any) error {
	name := f.Names()[0]
	var text string
	switch f.(type) {
	case *cli.StringFlag, *cli.DurationFlag:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, got %s", tomlType(v))
		}
		text = s
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		i, ok := v.(int64)
		if !ok {
			return fmt.Errorf("want an integer, got %s", tomlType(v))
		}
		text = strconv.FormatInt(i, 10)
	case *cli.Float64Flag:
		switch x := v.(type) {
		case int64:
			text = strconv.FormatInt(x, 10)
		case float64:
			text = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			return fmt.Errorf("want a number, got %s", tomlType(v))
		}
	case *cli.BoolFlag:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, got %s", tomlType(v))
		}
		text = strconv.FormatBool(b)
	case *cli.StringSliceFlag:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want an array of strings, got %s", tomlType(v))
		}
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("element %d: want a string, got %s", i, tomlType(e))
			}
			if err := c.Set(name, s); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("flag type %T cannot be set from a config file", f)
	}
	if err := c.Set(name, text); err != nil {
		return fmt.Errorf("bad value %q: %w", text, err)
	}
	return nil
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// inlineWebhooks decodes [[webhooks]] tables with the same rules as a
// webhooks JSON file.
func inlineWebhooks(tables []any) ([]node.Webhook, error) {
	raw, err := json.Marshal(tables)
	if err != nil {
		return nil, err
	}
	return node.ParseWebhooks(raw)
}

// defaultConfigFile renders every key with its usage, its flag and
// variable, and its default value, as a TOML file that sets each key to its
// default.
func defaultConfigFile(keys []cli.Flag) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`# Sovereign node configuration: sovereign node --config FILE
#
# Printed by "sovereign config default" from the node's flag definitions:
# every key is a flag of "sovereign node" (--KEY) and has an environment
# variable. A setting comes from the flag if given, else the variable, else
# this file, else the default shown here. An unknown key or a value of the
# wrong type stops the node at start, naming the key. Keys with dots are
# quoted; a table such as [p2p] with listen = [...] means "p2p.listen".
# Webhooks may also be written inline as [[webhooks]] tables with url,
# secret and accounts (docs/OPERATIONS.md).
`)
	for _, f := range keys {
		name := f.Names()[0]
		value, err := defaultValue(f)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", name, err)
		}
		line, err := toml.Marshal(map[string]any{name: value})
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", name, err)
		}
		b.WriteString("\n")
		if df, ok := f.(cli.DocGenerationFlag); ok {
			for _, l := range wrap(df.GetUsage(), 76) {
				b.WriteString("# " + l + "\n")
			}
			where := "# flag --" + name
			if env := df.GetEnvVars(); len(env) > 0 {
				where += ", environment " + strings.Join(env, ", ")
			}
			b.WriteString(where + "\n")
		}
		if rf, ok := f.(cli.RequiredFlag); ok && rf.IsRequired() {
			b.WriteString("# required\n")
		}
		b.Write(line)
	}
	return b.Bytes(), nil
}

// defaultValue is a flag's default as a TOML value.
func defaultValue(f cli.Flag) (any, error) {
	switch f := f.(type) {
	case *cli.StringFlag:
		return f.Value, nil
	case *cli.DurationFlag:
		return f.Value.String(), nil
	case *cli.IntFlag:
		return int64(f.Value), nil
	case *cli.Int64Flag:
		return f.Value, nil
	case *cli.UintFlag:
		return int64(f.Value), nil
	case *cli.Uint64Flag:
		return int64(f.Value), nil
	case *cli.Float64Flag:
		return f.Value, nil
	case *cli.BoolFlag:
		return f.Value, nil
	case *cli.StringSliceFlag:
		if f.Value == nil {
			return []string{}, nil
		}
		return append([]string{}, f.Value.Value()...), nil
	}
	return nil, fmt.Errorf("flag type %T has no config file form", f)
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
