// Package crashtest kills a child test process (kill -9) at moments spread
// over its work and lets the parent check, after each kill, what the child
// left on disk. The child acknowledges each unit of work (a height) once it
// is durable; the parent holds the survivor to the highest acknowledgement.
package crashtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Child is the directory the child process works in, or "" in the parent:
// a test calls it first and, in the child, does its work and never returns.
func Child(env string) string { return os.Getenv(env) }

// Ready tells the parent that the child is past its setup, so that kills
// land in the work under test and not in, say, a database's creation.
func Ready(dir string) { _ = os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644) }

// Ack records that unit n of the child's work is durable.
func Ack(dir string, n uint64) {
	_ = os.WriteFile(filepath.Join(dir, "acked"), []byte(strconv.FormatUint(n, 10)), 0o644)
}

// Kill runs the test named test again as a child with env set to dir,
// rounds times. Each round waits until the child is Ready, kills it after
// delay(round), and calls check with the highest unit acknowledged so far.
// It fails the test when the child never acknowledged anything, because
// then the checks proved nothing.
func Kill(t *testing.T, test, env, dir string, rounds int, delay func(round int) time.Duration, check func(round int, acked uint64)) {
	t.Helper()
	ready := filepath.Join(dir, "ready")
	var acked uint64
	for round := 0; round < rounds; round++ {
		_ = os.Remove(ready)
		cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
		cmd.Env = append(os.Environ(), env+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatal("the child did not get past its setup in 30 s")
			}
		}
		time.Sleep(delay(round))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		// A kill may land inside the ack write and leave it empty; what was
		// acknowledged before still counts.
		raw, _ := os.ReadFile(filepath.Join(dir, "acked"))
		n, _ := strconv.ParseUint(string(raw), 10, 64)
		acked = max(acked, n)
		check(round, acked)
	}
	if acked == 0 {
		t.Fatal("the child never acknowledged any work; the test proved nothing")
	}
}
