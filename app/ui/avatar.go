package ui

import (
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

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
