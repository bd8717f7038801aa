// Command minimal is a baseline of `make bench`: a Go program that prints a
// line and exits, built like ssotray (no cgo), so that the start of
// `ssotray version` is compared with what any Go command-line tool costs.
package main

import "fmt"

func main() { fmt.Println("minimal") }
