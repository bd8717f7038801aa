package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"image/color"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app/launch"
)

// pictureResource names a picture by its content: Fyne caches drawn SVGs by
// resource name, so a shared name would show one person's picture for another's.
func pictureResource(kind string, data []byte) fyne.Resource {
	sum := sha256.Sum256(data)
	return fyne.NewStaticResource(kind+"-"+hex.EncodeToString(sum[:8]), data)
}

// colorOf looks a color up in w's theme.
func colorOf(w fyne.Widget, name fyne.ThemeColorName) color.Color {
	return theme.ColorForWidget(name, w)
}

func sizeOf(w fyne.Widget, name fyne.ThemeSizeName) float32 {
	return theme.SizeForWidget(name, w)
}

// initials are up to two capital letters for a name: the first letters of
// its first and last words.
func initials(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		return "?"
	}
	first := []rune(words[0])[0]
	out := string(unicode.ToUpper(first))
	if len(words) > 1 {
		out += string(unicode.ToUpper([]rune(words[len(words)-1])[0]))
	}
	return out
}

// avatar is a person's picture in a circle, or their initials when there
// is no picture.
type avatar struct {
	widget.BaseWidget
	initials string
	picture  []byte
}

const avatarSize = 64

func newAvatar() *avatar {
	a := &avatar{initials: "?"}
	a.ExtendBaseWidget(a)
	return a
}

// SetName shows the initials of name.
func (a *avatar) SetName(name string) {
	if i := initials(name); i != a.initials {
		a.initials = i
		a.Refresh()
	}
}

// SetPicture shows picture (PNG, JPEG or SVG bytes) instead of the
// initials; nil goes back to the initials.
func (a *avatar) SetPicture(picture []byte) {
	if string(picture) != string(a.picture) {
		a.picture = picture
		a.Refresh()
	}
}

func (a *avatar) CreateRenderer() fyne.WidgetRenderer {
	r := &avatarRenderer{a: a, circle: &canvas.Circle{}, text: canvas.NewText("", nil), image: &canvas.Image{FillMode: canvas.ImageFillContain}}
	r.text.TextStyle.Bold = true
	r.Refresh()
	return r
}

type avatarRenderer struct {
	a      *avatar
	circle *canvas.Circle
	text   *canvas.Text
	image  *canvas.Image
	shown  []byte // the picture the image holds
}

func (r *avatarRenderer) Layout(size fyne.Size) {
	d := min(size.Width, size.Height)
	pos := fyne.NewPos((size.Width-d)/2, (size.Height-d)/2)
	r.circle.Move(pos)
	r.circle.Resize(fyne.NewSquareSize(d))
	r.text.TextSize = d * 0.4
	ts := r.text.MinSize()
	r.text.Resize(ts)
	r.text.Move(pos.AddXY((d-ts.Width)/2, (d-ts.Height)/2))
	r.image.Move(pos)
	r.image.Resize(fyne.NewSquareSize(d))
	r.image.CornerRadius = d / 2
}

func (r *avatarRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(avatarSize) }

func (r *avatarRenderer) Refresh() {
	r.circle.FillColor = colorOf(r.a, theme.ColorNamePrimary)
	r.text.Color = colorOf(r.a, theme.ColorNameForegroundOnPrimary)
	r.text.Text = r.a.initials
	if len(r.a.picture) > 0 {
		if string(r.shown) != string(r.a.picture) {
			r.shown = r.a.picture
			r.image.Resource = pictureResource("avatar", r.a.picture)
		}
		r.image.Show()
		r.text.Hide()
	} else {
		r.image.Hide()
		r.text.Show()
	}
	r.Layout(r.a.Size())
	r.circle.Refresh()
	r.text.Refresh()
	r.image.Refresh()
}

func (r *avatarRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.circle, r.text, r.image}
}
func (r *avatarRenderer) Destroy() {}

// chip is a small rounded label, for a group or a role.
type chip struct {
	widget.BaseWidget
	text string
}

func newChip(text string) *chip {
	c := &chip{text: text}
	c.ExtendBaseWidget(c)
	return c
}

func (c *chip) CreateRenderer() fyne.WidgetRenderer {
	r := &chipRenderer{c: c, bg: &canvas.Rectangle{}, text: canvas.NewText(c.text, nil)}
	r.Refresh()
	return r
}

type chipRenderer struct {
	c    *chip
	bg   *canvas.Rectangle
	text *canvas.Text
}

func (r *chipRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.bg.CornerRadius = size.Height / 2
	ts := r.text.MinSize()
	r.text.Resize(ts)
	r.text.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
}

func (r *chipRenderer) MinSize() fyne.Size {
	pad := sizeOf(r.c, theme.SizeNameInnerPadding)
	return r.text.MinSize().AddWidthHeight(2*pad, pad/2)
}

func (r *chipRenderer) Refresh() {
	r.bg.FillColor = colorOf(r.c, theme.ColorNameSelection)
	r.bg.StrokeColor = colorOf(r.c, theme.ColorNamePrimary)
	r.bg.StrokeWidth = 1
	r.text.Text = r.c.text
	r.text.Color = colorOf(r.c, theme.ColorNameForeground)
	r.text.TextSize = sizeOf(r.c, theme.SizeNameCaptionText)
	r.Layout(r.c.Size())
	r.bg.Refresh()
	r.text.Refresh()
}

func (r *chipRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.text} }
func (r *chipRenderer) Destroy()                     {}

// tileSize is the cell of the launcher grid.
var tileSize = fyne.NewSize(150, 124)

const tileIconSize = 40

// appTile is one app of the launcher: an icon, the name and the
// description; tapping it, or Enter or Space while it has the focus, opens
// the app. It takes the focus so that Tab reaches it on a kiosk with no mouse.
type appTile struct {
	widget.BaseWidget
	app      launch.App
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

func newAppTile(a launch.App, onTapped, onInput func()) *appTile {
	t := &appTile{app: a, onTapped: onTapped, onInput: onInput}
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
	r.desc.SizeName = theme.SizeNameCaptionText
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
	r.bg.Resize(size)

	iconPos := fyne.NewPos((size.Width-tileIconSize)/2, 2*pad)
	r.iconBg.Move(iconPos)
	r.iconBg.Resize(fyne.NewSquareSize(tileIconSize))
	r.icon.Move(iconPos)
	r.icon.Resize(fyne.NewSquareSize(tileIconSize))
	r.image.Move(iconPos)
	r.image.Resize(fyne.NewSquareSize(tileIconSize))
	ls := r.letter.MinSize()
	r.letter.Resize(ls)
	r.letter.Move(iconPos.AddXY((tileIconSize-ls.Width)/2, (tileIconSize-ls.Height)/2))

	y := 2*pad + tileIconSize + pad
	nh := r.name.MinSize().Height
	r.name.Move(fyne.NewPos(pad, y))
	r.name.Resize(fyne.NewSize(size.Width-2*pad, nh))
	r.desc.Move(fyne.NewPos(pad, y+nh-2*pad))
	r.desc.Resize(fyne.NewSize(size.Width-2*pad, r.desc.MinSize().Height))
}

func (r *tileRenderer) MinSize() fyne.Size {
	pad := sizeOf(r.t, theme.SizeNamePadding)
	h := 2*pad + tileIconSize + pad + r.name.MinSize().Height - 2*pad + r.desc.MinSize().Height + pad
	return fyne.NewSize(tileIconSize+4*pad, h)
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
	r.iconBg.CornerRadius = tileIconSize / 4
	r.iconBg.FillColor = colorOf(r.t, theme.ColorNamePrimary)
	r.letter.Text = r.t.letter()
	r.letter.TextSize = tileIconSize / 2
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

// keyButton is a button that Enter activates too, not only Space: kiosks
// often have a keyboard and no mouse, and Enter is what people press.
type keyButton struct {
	widget.Button
	onInput func() // any key or pointer movement on it
}

func newKeyButton(label string, icon fyne.Resource, tapped func()) *keyButton {
	b := &keyButton{onInput: func() {}}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey activates the button on Enter and Return as well as Space.
func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	b.onInput()
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		if !b.Disabled() {
			b.Tapped(nil)
		}
		return
	}
	b.Button.TypedKey(ev)
}

func (b *keyButton) MouseIn(ev *desktop.MouseEvent) {
	b.onInput()
	b.Button.MouseIn(ev)
}

func (b *keyButton) MouseMoved(ev *desktop.MouseEvent) {
	b.onInput()
	b.Button.MouseMoved(ev)
}

// inputWatch reports pointer movement over content where no control of its
// own takes it: the kiosk's last-resort idle source is input in the window.
type inputWatch struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onInput func()
}

var _ desktop.Hoverable = (*inputWatch)(nil)

func newInputWatch(content fyne.CanvasObject, onInput func()) *inputWatch {
	w := &inputWatch{content: content, onInput: onInput}
	w.ExtendBaseWidget(w)
	return w
}

func (w *inputWatch) MouseIn(*desktop.MouseEvent)    { w.onInput() }
func (w *inputWatch) MouseMoved(*desktop.MouseEvent) { w.onInput() }
func (w *inputWatch) MouseOut()                      {}

func (w *inputWatch) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(w.content)
}
