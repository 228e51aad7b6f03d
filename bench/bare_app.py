"""The bare baseline of `list_fragment_vs_bare_flask`: Flask + Jinja rendering the same 20 rows
(the same columns and buttons) from a Python list; no database, no login, no htmx logic."""
import datetime

from flask import Flask

app = Flask(__name__)

ROWS = [dict(id=i, number=f"E26330{i:010d}", invoice=f"INV{i:010d}", applicant="浙江华东进出口有限公司",
             exporter="浙江华东进出口有限公司", type_name="中国-东盟自贸区原产地证书（输印度尼西亚、新加坡）",
             issue_date=datetime.date(2026, 5, 1) - datetime.timedelta(days=i), layout="接收成功",
             archive="未归档", printed="待打印") for i in range(1, 21)]

TEMPLATE = """<section id="results"><table class="grid"><thead><tr><th></th><th>序号</th><th>证书编号</th>
<th>发票号</th><th>申请人</th><th>出口商</th><th>证书类别</th><th>签发日期</th><th>版式状态</th><th>归档状态</th>
<th>打印状态</th><th>操作</th></tr></thead><tbody>
{% for r in rows %}<tr><td><input type="checkbox" name="ids" value="{{ r.id }}"></td><td>{{ loop.index }}</td>
<td>{{ r.number }}</td><td>{{ r.invoice }}</td><td>{{ r.applicant }}</td><td>{{ r.exporter }}</td>
<td>{{ r.type_name }}</td><td>{{ r.issue_date.strftime('%Y-%m-%d') }}</td><td>{{ r.layout }}</td>
<td>{{ r.archive }}</td><td>{{ r.printed }}</td><td><a href="/c/{{ r.id }}">预览/下载副本</a>
<button>打印正副本</button><button>打印正本</button><button>打印副本</button></td></tr>
{% endfor %}</tbody></table></section>"""


# Compiled once, as Flask does for a template file (render_template_string recompiles each call,
# which would make the baseline slower than any real route and flatter our ratio).
COMPILED = app.jinja_env.from_string(TEMPLATE)


@app.get("/")
def index():
    return COMPILED.render(rows=ROWS)
