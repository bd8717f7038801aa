package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssotray/ssotray/app/doctor"
)

// findingRow is one finding: an icon and OK/WARN/FAIL with the check's
// name, then what was found and the fix, all selectable so they can be
// copied.
type findingRow struct {
	finding doctor.Finding
	root    fyne.CanvasObject
	marker  *widget.Label // "OK discovery"
	detail  *widget.Label
	fix     *widget.Label // nil without a fix
	copy    *keyButton    // copies the redirect URIs; nil on other rows
	icon    *widget.Icon
}

func newFindingRow(a fyne.App, f doctor.Finding) *findingRow {
	r := &findingRow{finding: f}
	r.marker = widget.NewLabelWithStyle(f.Level.String()+"  "+f.Check, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var icon fyne.Resource
	switch f.Level {
	case doctor.OK:
		r.marker.Importance = widget.SuccessImportance
		icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case doctor.Warn:
		r.marker.Importance = widget.WarningImportance
		icon = theme.NewWarningThemedResource(theme.WarningIcon())
	default:
		r.marker.Importance = widget.DangerImportance
		icon = theme.NewErrorThemedResource(theme.ErrorIcon())
	}
	r.icon = widget.NewIcon(icon)
	r.detail = selectableText(f.Detail)
	// Tighter than a VBox: the labels bring their own padding.
	body := container.New(layout.NewCustomPaddedVBoxLayout(-theme.InnerPadding()), r.marker, r.detail)
	uris := make([]string, len(f.Register))
	shown := make([]string, len(f.Register))
	for i, e := range f.Register {
		uris[i], shown[i] = e.URL, e.String()
	}
	if len(uris) > 0 {
		body.Add(selectableText(strings.Join(shown, "\n")))
	}
	if f.Fix != "" {
		r.fix = selectableText("Fix: " + f.Fix)
		r.fix.TextStyle.Italic = true
		body.Add(r.fix)
	}
	var content fyne.CanvasObject = body
	if len(uris) > 0 {
		r.copy = newKeyButton("Copy redirect URIs", theme.ContentCopyIcon(), func() {
			a.Clipboard().SetContent(strings.Join(uris, "\n"))
		})
		content = container.NewVBox(body, container.NewHBox(r.copy))
	}
	// The icon sits by the marker line, at the top.
	r.root = container.NewBorder(nil, nil, container.NewVBox(container.NewPadded(r.icon)), nil, content)
	return r
}

// selectableText is a wrapped label whose text can be selected and copied.
func selectableText(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	return l
}
