"""The print control (打印控件): a small program on the PC beside the printer.

It pairs once with an enterprise (`pair`), then (`run`) sends heartbeats with its version and
printer list, takes print jobs by long-polling the server over HTTP(S) with its token, fetches
each PDF into a temporary file, prints it through a backend (the Windows spooler, CUPS, or a
folder for demos and tests), deletes the file, and reports 成功 / 失败 with the printer's message.
`install` creates the desktop shortcut and the start-at-login entry; `status` says what it does.

Runs on Python 3.8+ (checked by vermin in the suite) on Windows, macOS and Linux. The standard
library is enough everywhere but in the Windows GDI backend (pypdfium2, Pillow, pywin32: the
PyInstaller executable carries them). The same package runs as `python -m coo.printcontrol`, as
the .pyz served by the 打印控件 page (`coo.services.printcontrol.control_zipapp`) and as the
one-file executable built by `packaging/coo-printcontrol.spec`.
"""
VERSION = "1.4.0"
