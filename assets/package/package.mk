
# ---------------------------------------------------------------------------
# Added by ssotray's `make package` to the Makefile of `fyne package`.
#
# The window's program, ssotray-window, beside ssotray: ssotray (the verbs
# and the tray) starts it when the window is asked for.

Window := ssotray-window

install: install-window
uninstall: uninstall-window
user-install: user-install-window
user-uninstall: user-uninstall-window

install-window:
	install -Dm00755 usr/local/bin/$(Window) $(DESTDIR)$(PREFIX)/bin/$(Window)

uninstall-window:
	-rm $(DESTDIR)$(PREFIX)/bin/$(Window)

user-install-window:
	install -Dm00755 usr/local/bin/$(Window) $(DESTDIR)$(HOME)/.local/bin/$(Window)

user-uninstall-window:
	-rm $(DESTDIR)$(HOME)/.local/bin/$(Window)

.PHONY: install-window uninstall-window user-install-window user-uninstall-window

# The XDG autostart entry, so that ssotray (and its tray icon) starts at login.
# install puts it in /etc/xdg/autostart, for everyone who logs in on this
# machine; user-install in ~/.config/autostart. A person turns it off in the
# desktop's startup settings, or with a copy in ~/.config/autostart that says
# Hidden=true.
#
# Exec gets the installed binary's full path: at login PATH may lack
# ~/.local/bin, and /etc/xdg/autostart may outlive a binary found elsewhere.
# It is the path on the installed system, so without DESTDIR.

SYSCONFDIR ?= /etc
XDG_CONFIG_HOME ?= $(HOME)/.config
Autostart := etc/xdg/autostart/$(AppID).desktop

install: install-autostart
uninstall: uninstall-autostart
user-install: user-install-autostart
user-uninstall: user-uninstall-autostart

install-autostart:
	install -Dm00644 $(Autostart) $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/$(AppID).desktop
	sed -i -e "s,^Exec=$(Exec) ,Exec=$(PREFIX)/bin/$(Exec) ," $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/$(AppID).desktop

uninstall-autostart:
	-rm $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/$(AppID).desktop

user-install-autostart:
	install -Dm00644 $(Autostart) $(DESTDIR)$(XDG_CONFIG_HOME)/autostart/$(AppID).desktop
	sed -i -e "s,^Exec=$(Exec) ,Exec=$(HOME)/.local/bin/$(Exec) ," $(DESTDIR)$(XDG_CONFIG_HOME)/autostart/$(AppID).desktop

user-uninstall-autostart:
	-rm $(DESTDIR)$(XDG_CONFIG_HOME)/autostart/$(AppID).desktop

.PHONY: install-autostart uninstall-autostart user-install-autostart user-uninstall-autostart
