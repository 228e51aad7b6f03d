"""The print control (打印控件): a small program on the PC beside the printer.

It pairs once with an enterprise (`pair`), then (`run`) sends heartbeats with its version and
printer list, takes print jobs by long-polling the server over HTTP(S) with its token, fetches
each PDF into a temporary file, prints it through a backend (CUPS, or a folder for demos and
tests), deletes the file, and reports 成功 / 失败 with the printer's message.

Standard library only: the same package runs as `python -m coo.printcontrol` and as the one-file
zipapp served by the 打印控件 page (`coo.services.printing.control_zipapp`).
"""
VERSION = "1.3.0"
