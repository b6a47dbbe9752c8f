"""Downloads of a monthly act of services rendered as PDF or XLSX, for whoever may see the act (the provider's and
the customer's people, the region's coordinators, platform admins), in the language asked for (?lang=kk|ru|en),
else the page's. The documents name people by booking number only (act_documents explains why); the provider can
resolve that number, so each download is logged as a read of the persons behind the lines."""

from django.contrib.auth.decorators import login_required

from qamqor.core.services import access_record_many

from . import act_documents
from .views import _act

def _download(request, pk, fmt):
    act = _act(request, pk)
    document = act_documents.render(act, fmt, act_documents.language(request.GET.get("lang")))
    access_record_many(actor=request.user, subjects=document.subjects, purpose=act_documents.PURPOSE,
                       path=request.path)
    return document.response()


@login_required
def act_pdf(request, pk):
    return _download(request, pk, "pdf")


@login_required
def act_xlsx(request, pk):
    return _download(request, pk, "xlsx")
