"""The one helper that decides page or fragment, and the htmx response helpers.

A route renders its page template; for an htmx request (not a history restore) only the named
block of that same template is rendered (jinja2-fragments). Every response carries
``Vary: HX-Request`` (set in `coo.web`), so no cache serves a fragment as a page.
"""
import json

import jinja2_fragments
from flask import current_app, make_response, redirect, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request and not request.htmx.boosted


def render(template: str, block: str | None = None, status: int = 200, *, own_context: bool = False,
           **context):
    """The page, or only `block` of it for htmx. `own_context`: the block reads only what it is
    given and the Jinja globals (Flask's `request`, `session`, `g`, `config`, `url_for` are
    globals); the context processors (`current_user`, `view`, `menu`) do not run for it."""
    if block and wants_fragment():
        if own_context:
            body = jinja2_fragments.render_block(current_app.jinja_env, template, block, **context)
        else:
            body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def trigger(response, event: str, detail=None):
    """Add an HX-Trigger event so other parts of the page refresh themselves."""
    existing = response.headers.get("HX-Trigger")
    events = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=False)
    return response


def retarget(response, target: str, swap: str):
    """Swap this response somewhere else than the element that asked (HX-Retarget/HX-Reswap)."""
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = swap
    return response


def see_other(location: str):
    """After a successful form: 303 for a plain request, HX-Redirect for htmx."""
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)
