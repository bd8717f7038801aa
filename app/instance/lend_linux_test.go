package instance

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Another user who reaches the socket (a directory opened up by mistake)
// gets "no": the instance asks the kernel who is asking.
func TestBorrowFromAnotherUser(t *testing.T) {
	if os.Getenv("SSOTRAY_TEST_BORROW_AS_OTHER") != "" {
		got, err := Borrow(os.Getenv("SSOTRAY_TEST_BORROW_AS_OTHER"), Token, time.Second)
		fmt.Printf("uid %d borrowed %q %v\n", os.Getuid(), got, err)
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ssotray.sock")
	in, err := Claim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	in.Lend(func(Message) (string, bool) { return "secret-token", true })
	for _, p := range []string{filepath.Dir(dir), dir, path} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	// The test binary's own directory is closed to the other user.
	bin, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "client"), bin, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "client"), "-test.run=^TestBorrowFromAnotherUser$")
	cmd.Env = append(os.Environ(), "SSOTRAY_TEST_BORROW_AS_OTHER="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the other user's client: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "uid 65534 borrowed \"\" "+ErrNothingLent.Error()) {
		t.Errorf("the other user's client says:\n%s", out)
	}
	if got, err := Borrow(path, Token, time.Second); err != nil || got != "secret-token" {
		t.Errorf("this user: %q %v", got, err)
	}
}
