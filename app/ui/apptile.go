package ui

import (
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app/launch"
)

// tileLook is how big the launcher's tiles are: the window fits three in a
// row; on a kiosk's full screen they are read from a step away and hit
// with a finger or an unsteady mouse.
type tileLook struct {
	cell       fyne.Size // of the grid
	icon       float32
	name, desc fyne.ThemeSizeName // text sizes
}

// The window's tiles are three to a row in 480 pixels, the kiosk's four to
// a row, filling the signed-in screen's content width (signedInWidth less
// the padding around and between them).
var (
	windowTiles = tileLook{cell: fyne.NewSize(150, 124), icon: 40, name: theme.SizeNameText, desc: theme.SizeNameCaptionText}
	kioskTiles  = tileLook{cell: fyne.NewSize(235, 176), icon: 64, name: theme.SizeNameSubHeadingText, desc: theme.SizeNameText}
)

// appTile is one app of the launcher: an icon, the name and the
// description; tapping it, or Enter or Space while it has the focus, opens
// the app. It takes the focus so that Tab reaches it on a kiosk with no mouse.
type appTile struct {
	widget.BaseWidget
	app      launch.App
	look     tileLook
	onTapped func()
	onInput  func() // any key or pointer movement on it
	hovered  bool
	focused  bool
}

var (
	_ fyne.Tappable      = (*appTile)(nil)
	_ fyne.Focusable     = (*appTile)(nil)
	_ desktop.Hoverable  = (*appTile)(nil)
	_ desktop.Cursorable = (*appTile)(nil)
)

func newAppTile(a launch.App, look tileLook, onTapped, onInput func()) *appTile {
	t := &appTile{app: a, look: look, onTapped: onTapped, onInput: onInput}
	t.ExtendBaseWidget(t)
	return t
}

func (t *appTile) Tapped(*fyne.PointEvent) {
	if t.onTapped != nil {
		t.onTapped()
	}
}

func (t *appTile) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (t *appTile) FocusGained() {
	t.focused = true
	t.Refresh()
}

func (t *appTile) FocusLost() {
	t.focused = false
	t.Refresh()
}

func (t *appTile) TypedRune(rune) {}

func (t *appTile) TypedKey(ev *fyne.KeyEvent) {
	t.onInput()
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeySpace:
		t.Tapped(nil)
	}
}

func (t *appTile) MouseIn(*desktop.MouseEvent) {
	t.onInput()
	t.hovered = true
	t.Refresh()
}

func (t *appTile) MouseMoved(*desktop.MouseEvent) { t.onInput() }

func (t *appTile) MouseOut() {
	t.hovered = false
	t.Refresh()
}

// letter is the capital initial of the app's name, "" when it has none.
func (t *appTile) letter() string {
	for _, r := range t.app.Name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return ""
}

func (t *appTile) CreateRenderer() fyne.WidgetRenderer {
	r := &tileRenderer{
		t:      t,
		bg:     &canvas.Rectangle{},
		iconBg: &canvas.Rectangle{},
		letter: canvas.NewText("", nil),
		icon:   widget.NewIcon(theme.ComputerIcon()),
		image:  &canvas.Image{FillMode: canvas.ImageFillContain},
		name:   widget.NewLabelWithStyle(t.app.Name, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		desc:   widget.NewLabelWithStyle(t.app.Description, fyne.TextAlignCenter, fyne.TextStyle{}),
	}
	r.letter.TextStyle.Bold = true
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.desc.Truncation = fyne.TextTruncateEllipsis
	r.name.SizeName = t.look.name
	r.desc.SizeName = t.look.desc
	r.Refresh()
	return r
}

type tileRenderer struct {
	t      *appTile
	bg     *canvas.Rectangle
	iconBg *canvas.Rectangle
	letter *canvas.Text
	icon   *widget.Icon
	image  *canvas.Image // the app's own icon, when it has one
	name   *widget.Label
	desc   *widget.Label
}

func (r *tileRenderer) Layout(size fyne.Size) {
	pad := sizeOf(r.t, theme.SizeNamePadding)
	icon := r.t.look.icon
	r.bg.Resize(size)

	// The icon, name and description as one block in the middle of a cell
	// that may be taller than they need.
	nh, dh := r.name.MinSize().Height, r.desc.MinSize().Height
	top := max(2*pad, (size.Height-r.contentHeight())/2)
	iconPos := fyne.NewPos((size.Width-icon)/2, top)
	r.iconBg.Move(iconPos)
	r.iconBg.Resize(fyne.NewSquareSize(icon))
	r.icon.Move(iconPos)
	r.icon.Resize(fyne.NewSquareSize(icon))
	r.image.Move(iconPos)
	r.image.Resize(fyne.NewSquareSize(icon))
	ls := r.letter.MinSize()
	r.letter.Resize(ls)
	r.letter.Move(iconPos.AddXY((icon-ls.Width)/2, (icon-ls.Height)/2))

	y := top + icon + pad
	r.name.Move(fyne.NewPos(pad, y))
	r.name.Resize(fyne.NewSize(size.Width-2*pad, nh))
	r.desc.Move(fyne.NewPos(pad, y+nh-2*pad))
	r.desc.Resize(fyne.NewSize(size.Width-2*pad, dh))
}

// contentHeight is the height of the icon, the name and the description;
// the labels' own padding overlaps.
func (r *tileRenderer) contentHeight() float32 {
	pad := sizeOf(r.t, theme.SizeNamePadding)
	return r.t.look.icon + pad + r.name.MinSize().Height - 2*pad + r.desc.MinSize().Height
}

func (r *tileRenderer) MinSize() fyne.Size {
	pad := sizeOf(r.t, theme.SizeNamePadding)
	return fyne.NewSize(r.t.look.icon+4*pad, 2*pad+r.contentHeight()+pad)
}

func (r *tileRenderer) Refresh() {
	r.bg.CornerRadius = sizeOf(r.t, theme.SizeNameInputRadius)
	r.bg.StrokeWidth = 1
	r.bg.StrokeColor = colorOf(r.t, theme.ColorNameInputBorder)
	if r.t.focused {
		r.bg.StrokeWidth = 2
		r.bg.StrokeColor = colorOf(r.t, theme.ColorNameFocus)
	}
	if r.t.hovered {
		r.bg.FillColor = colorOf(r.t, theme.ColorNameHover)
	} else {
		r.bg.FillColor = colorOf(r.t, theme.ColorNameInputBackground)
	}
	r.iconBg.CornerRadius = r.t.look.icon / 4
	r.iconBg.FillColor = colorOf(r.t, theme.ColorNamePrimary)
	r.letter.Text = r.t.letter()
	r.letter.TextSize = r.t.look.icon / 2
	r.letter.Color = colorOf(r.t, theme.ColorNameForegroundOnPrimary)
	r.image.Hide()
	switch {
	case len(r.t.app.Icon) > 0:
		if r.image.Resource == nil {
			r.image.Resource = pictureResource("icon", r.t.app.Icon)
		}
		r.image.Show()
		r.iconBg.Hide()
		r.letter.Hide()
		r.icon.Hide()
	case r.letter.Text == "":
		r.iconBg.Hide()
		r.letter.Hide()
		r.icon.Show()
	default:
		r.iconBg.Show()
		r.letter.Show()
		r.icon.Hide()
	}
	r.name.SetText(r.t.app.Name)
	r.desc.SetText(r.t.app.Description)
	r.Layout(r.t.Size())
	r.bg.Refresh()
	r.iconBg.Refresh()
	r.letter.Refresh()
}

func (r *tileRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.iconBg, r.letter, r.icon, r.image, r.name, r.desc}
}

func (r *tileRenderer) Destroy() {}
