// Package pgtest gives tests a fresh PostgreSQL database: on the server
// named by SOV_TEST_PG (a postgres:// URL whose user may create databases),
// or on a throwaway server it starts on a temporary directory and a free
// loopback port with Debian's initdb and pg_ctl (as the postgres user when
// run as root, since initdb refuses root). Without either it skips.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

var (
	once     sync.Once
	baseURL  string // server URL without a database
	dataDir  string
	pgCtl    string
	asUser   []string // runuser prefix when root
	startErr error
)

// Main runs the tests and then stops the throwaway server, if one started.
// Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if dataDir != "" {
		run(pgCtl, "-D", dataDir, "-m", "immediate", "stop")
		os.RemoveAll(filepath.Dir(dataDir))
	}
	return code
}

// Database creates a fresh database and returns its URL; it is dropped
// when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if startErr != nil {
		if _, skip := startErr.(skipError); skip {
			t.Skip(startErr.Error())
		}
		t.Fatalf("postgres: %v", startErr)
	}
	name := "sovtest_" + randomHex()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		t.Fatalf("connect %s: %v", baseURL, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, baseURL)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, _ := url.Parse(baseURL)
	u.Path = "/" + name
	return u.String()
}

type skipError string

func (e skipError) Error() string { return string(e) }

func start() {
	if dsn := os.Getenv("SOV_TEST_PG"); dsn != "" {
		baseURL = dsn
		return
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		startErr = skipError("PostgreSQL tests skipped: no initdb under /usr/lib/postgresql (apt-get install postgresql, or set SOV_TEST_PG=postgres://...)")
		return
	}
	bin := filepath.Dir(bins[len(bins)-1])
	pgCtl = filepath.Join(bin, "pg_ctl")
	root, err := os.MkdirTemp("", "sov-pg-")
	if err != nil {
		startErr = err
		return
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			startErr = skipError("PostgreSQL tests skipped: running as root and there is no postgres user to run initdb as")
			return
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			startErr = err
			return
		}
		asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	port, err := freePort()
	if err != nil {
		startErr = err
		return
	}
	dir := filepath.Join(root, "data")
	if out, err := run(filepath.Join(bin, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"); err != nil {
		startErr = fmt.Errorf("initdb: %v: %s", err, out)
		return
	}
	dataDir = dir
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s", port, root)
	if out, err := run(pgCtl, "-D", dir, "-o", opts, "-l", filepath.Join(root, "log"), "-w", "start"); err != nil {
		startErr = fmt.Errorf("pg_ctl start: %v: %s", err, out)
		return
	}
	baseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

func run(name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, asUser...), name), args...)
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
