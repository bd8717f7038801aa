// Package glwarm loads the OpenGL driver for the window's display on a
// thread of its own, so that it runs beside the rest of the window's
// start-up (its fonts, its first screen) instead of after it.
//
// Fyne creates the window's OpenGL context only when the window is shown,
// and the first context on a display is most of that: the GLX library
// loads the display's driver (Mesa's, with LLVM for software rendering)
// and sets it up for the display. Both are done once per display and
// shared with every later context, so asking GLX about the display
// beforehand does them early. On the test machine's software rendering the
// window's context then took 40 ms instead of 75 (README, Benchmarks).
package glwarm
