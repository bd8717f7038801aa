//go:build !unix

package launch

import "os/exec"

func detach(*exec.Cmd) {}

func endGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }
