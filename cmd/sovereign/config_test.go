package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/sovereign-ledger/sovereign"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/urfave/cli/v2"
)

// captureNode runs nodeCommand's flags with an action that applies the
// config file and records every config key's value instead of starting a
// node.
func captureNode(t *testing.T, args ...string) (map[string]string, fileSettings, error) {
	t.Helper()
	got := map[string]string{}
	var settings fileSettings
	cmd := *nodeCommand
	cmd.Action = func(c *cli.Context) error {
		var err error
		if settings, err = applyConfigFile(c); err != nil {
			return err
		}
		for _, f := range configKeys(c.App, c.Command) {
			name := f.Names()[0]
			if _, ok := f.(*cli.StringSliceFlag); ok {
				got[name] = fmt.Sprint(c.StringSlice(name))
			} else {
				got[name] = fmt.Sprint(c.Value(name))
			}
		}
		return nil
	}
	app := newApp()
	app.Commands = []*cli.Command{&cmd}
	err := app.Run(append([]string{"sovereign", "node"}, args...))
	return got, settings, err
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigPrecedence: the flag wins over the environment, which wins
// over the file, which wins over the default. Each case builds its own
// flag, since urfave/cli keeps an applied environment value in the flag.
func TestConfigPrecedence(t *testing.T) {
	cases := []struct {
		flag, env, file string // "" = not given
		want            string
	}{
		{want: "default"},
		{file: "file", want: "file"},
		{env: "env", want: "env"},
		{env: "env", file: "file", want: "env"},
		{flag: "flag", want: "flag"},
		{flag: "flag", file: "file", want: "flag"},
		{flag: "flag", env: "env", want: "flag"},
		{flag: "flag", env: "env", file: "file", want: "flag"},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("flag=%q,env=%q,file=%q", tc.flag, tc.env, tc.file), func(t *testing.T) {
			env := fmt.Sprintf("SOV_TEST_PRECEDENCE_%d", i)
			if tc.env != "" {
				t.Setenv(env, tc.env)
			}
			file := "other = 1\n"
			if tc.file != "" {
				file = fmt.Sprintf("other = 1\n[section]\nvalue = %q\n", tc.file)
			}
			keys := []cli.Flag{
				&cli.StringFlag{Name: "section.value", Value: "default", EnvVars: []string{env}},
				&cli.IntFlag{Name: "other"},
			}
			var got string
			app := &cli.App{Flags: keys, Action: func(c *cli.Context) error {
				if _, err := applyConfig(c, []byte(file), keys); err != nil {
					return err
				}
				got = c.String("section.value")
				return nil
			}}
			args := []string{"test"}
			if tc.flag != "" {
				args = append(args, "--section.value", tc.flag)
			}
			if err := app.Run(args); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestConfigSetsNodeFlags: keys of every kind reach the node's flags, as
// tables, dotted keys or quoted keys; a flag still wins.
func TestConfigSetsNodeFlags(t *testing.T) {
	path := writeFile(t, "node.toml", `
datadir = "/var/lib/sov"
"rpc.addr" = "127.0.0.1:9999"
rpc.max-conns = 7
rpc.rate = 2.5
explorer = false
"log.level" = "debug"
[p2p]
bootnodes = ["/ip4/127.0.0.1/tcp/1/p2p/A", "/ip4/127.0.0.1/tcp/2/p2p/B"]
observers = ["X"]
[[webhooks]]
url = "http://127.0.0.1:1/hook"
secret = "s"
`)
	got, settings, err := captureNode(t, "--config", path, "--rpc.max-conns", "9")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"datadir": "/var/lib/sov", "rpc.addr": "127.0.0.1:9999", "rpc.max-conns": "9", "rpc.rate": "2.5", "explorer": "false",
		"log.level": "debug", "p2p.bootnodes": "[/ip4/127.0.0.1/tcp/1/p2p/A /ip4/127.0.0.1/tcp/2/p2p/B]", "p2p.observers": "[X]",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(settings.Webhooks) != 1 || settings.Webhooks[0].URL != "http://127.0.0.1:1/hook" {
		t.Errorf("inline webhooks: %+v", settings.Webhooks)
	}
}

// TestConfigRefusesBadInput: an unknown key, a duplicate, a value of the
// wrong type or one its flag cannot parse fails, naming the key.
func TestConfigRefusesBadInput(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"unknown key", `rpc.adr = "127.0.0.1:1"`, `unknown key "rpc.adr"`},
		{"unknown table key", "[p2p]\nlisten = []\nbootnode = []", `unknown key "p2p.bootnode"`},
		{"hidden flag", `clock.offset = "1s"`, `unknown key "clock.offset"`},
		{"config itself", `config = "x.toml"`, `unknown key "config"`},
		{"duplicate", "\"p2p.listen\" = []\n[p2p]\nlisten = []", `key "p2p.listen" is given twice`},
		{"string for int", `rpc.max-conns = "many"`, `key "rpc.max-conns": want an integer, got a string`},
		{"float for int", `rpc.max-conns = 1.5`, `key "rpc.max-conns": want an integer`},
		{"int for string", `rpc.addr = 8545`, `key "rpc.addr": want a string, got an integer`},
		{"string for list", `p2p.bootnodes = "/ip4/127.0.0.1/tcp/1"`, `key "p2p.bootnodes": want an array of strings`},
		{"number in list", `p2p.observers = ["a", 2]`, `key "p2p.observers": element 1: want a string`},
		{"string for bool", `explorer = "yes"`, `key "explorer": want true or false`},
		{"bad duration", `health.stall-after = "soon"`, `key "health.stall-after": bad value "soon"`},
		{"bad webhook", "[[webhooks]]\nurl = \"http://x\"", `key "webhooks": [0] needs url and secret`},
		{"webhook field", "[[webhooks]]\nurl = \"http://x\"\nsecret = \"s\"\nsecrets = \"t\"", `key "webhooks": json: unknown field "secrets"`},
		{"syntax", "datadir = \n", "line 1 column"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "node.toml", tc.file)
			_, _, err := captureNode(t, "--config", path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s and containing %q", err, path, tc.want)
			}
		})
	}
}

// TestDefaultConfigRoundTrips: the printed default file names every key
// once, and a node started with it has exactly the settings of a node
// started without it.
func TestDefaultConfigRoundTrips(t *testing.T) {
	keys := configKeys(newApp(), nodeCommand)
	text, err := defaultConfigFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(text, &doc); err != nil {
		t.Fatalf("default file is not TOML: %v\n%s", err, text)
	}
	flat := map[string]any{}
	if err := flatten(doc, "", flat); err != nil {
		t.Fatal(err)
	}
	var names, inFile []string
	for _, f := range keys {
		names = append(names, f.Names()[0])
		if !strings.Contains(string(text), "# flag --"+f.Names()[0]+"\n") && !strings.Contains(string(text), "# flag --"+f.Names()[0]+",") {
			t.Errorf("key %s has no comment", f.Names()[0])
		}
	}
	for k := range flat {
		inFile = append(inFile, k)
	}
	sort.Strings(names)
	sort.Strings(inFile)
	if strings.Join(names, " ") != strings.Join(inFile, " ") {
		t.Fatalf("keys in the default file:\n%v\nflags:\n%v", inFile, names)
	}
	for _, must := range []string{"datadir", "p2p.bootnodes", "p2p.observers", "webhooks", "rpc.max-conns", "txpool.max-txs", "health.stall-after", "signer.double-sign-check-heights", "log.level"} {
		if _, ok := flat[must]; !ok {
			t.Errorf("default file lacks %s", must)
		}
	}

	without, _, err := captureNode(t)
	if err != nil {
		t.Fatal(err)
	}
	with, _, err := captureNode(t, "--config", writeFile(t, "default.toml", string(text)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range without {
		if with[k] != v {
			t.Errorf("%s: %q with the default file, %q without", k, with[k], v)
		}
	}
}

// TestNodeConfigFileAtStart: the real `sovereign node` reads --config
// before anything else: a bad key stops it, naming the key, and the data
// dir may come from the file alone.
func TestNodeConfigFileAtStart(t *testing.T) {
	bad := writeFile(t, "bad.toml", "datadir = \"/tmp/x\"\n[rpc]\nmax-conns = \"lots\"\n")
	err := newApp().Run([]string{"sovereign", "node", "--config", bad})
	if err == nil || !strings.Contains(err.Error(), `key "rpc.max-conns"`) {
		t.Fatalf("bad value: got %v", err)
	}
	empty := writeFile(t, "empty.toml", "# nothing\n")
	err = newApp().Run([]string{"sovereign", "node", "--config", empty})
	if err == nil || !strings.Contains(err.Error(), "--datadir is required") {
		t.Fatalf("no data dir: got %v", err)
	}
}

// TestNodeRunsFromConfigFile: the real binary runs a validator from a
// config file alone, a flag overriding one of its keys, and answers
// /readyz and /metrics where the file says.
func TestNodeRunsFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	template, err := chain.ParseGenesis(sovereign.DevnetGenesis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := devnet.Prepare(dir, template, 1); err != nil {
		t.Fatal(err)
	}
	l := devnet.Layout{Dir: dir}
	fileRPC := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	flagRPC := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := writeFile(t, "node.toml", fmt.Sprintf(`
datadir = %q
genesis = %q
key = %q
password-file = %q
"hashchain.secret-file" = %q
"log.level" = "debug"
[rpc]
addr = %q
auth = "off"
[metrics]
addr = %q
`, l.NodeDir(0), l.Genesis(), l.ValidatorKey(0), l.PasswordFile(), l.HashChainFile(0), fileRPC, metricsAddr))
	cmd := exec.Command(binary, "node", "--config", cfg, "--rpc.addr", flagRPC)
	logs := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("node log:\n%s", tail(logs.String(), 3000))
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + metricsAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var info chainInfo
	if err := rpcCall("http://"+flagRPC, "sov_chainInfo", nil, &info); err != nil {
		t.Fatalf("RPC on the flag's address: %v", err)
	}
	if _, err := net.DialTimeout("tcp", fileRPC, time.Second); err == nil {
		t.Fatal("RPC also on the file's address, which the flag overrode")
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `sovereign_validator_proposals_total{validator="`) {
		t.Fatal("no per-validator series on /metrics")
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatal("log.level from the file not applied")
	}
}

// metricValue reads one series from a Prometheus text page (-1: absent).
func metricValue(t *testing.T, url, series string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	return -1
}

// TestConfigCheck: `sovereign config check` accepts the default file with a
// data dir and refuses a bad key, naming it.
func TestConfigCheck(t *testing.T) {
	text, err := defaultConfigFile(configKeys(newApp(), nodeCommand))
	if err != nil {
		t.Fatal(err)
	}
	good := writeFile(t, "good.toml", strings.Replace(string(text), "datadir = ''", "datadir = '/var/lib/sov'", 1))
	if err := checkConfigFile(good); err != nil {
		t.Fatalf("default file with a data dir: %v", err)
	}
	if err := checkConfigFile(writeFile(t, "nodir.toml", string(text))); err == nil || !strings.Contains(err.Error(), "datadir is not set") {
		t.Fatalf("default file without a data dir: %v", err)
	}
	if err := checkConfigFile(writeFile(t, "bad.toml", "[p2p]\nbootnode = []\n")); err == nil || !strings.Contains(err.Error(), `unknown key "p2p.bootnode"`) {
		t.Fatalf("bad key: %v", err)
	}
}
