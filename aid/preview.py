"""Staff preview: an agreement not (or not yet) public, exactly as readers will see it.

/preview/agreements/<id>/ renders the public agreement page for a draft, one ready for
review, or a pending revision (aid/revisions.py), under a "Preview — not public" banner.
Only a logged-in staff user who may view agreements opens it; to anyone else it is a 404,
like any page that does not exist, so it says nothing of what is there. It is marked
private and never stored (Cache-Control: private, no-store), and nothing public links to it.
"""

from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control

from .models import Agreement
from .views import AgreementDetailView


def may_preview(user):
    return user.is_active and user.is_staff and user.has_perm("aid.view_agreement")


@method_decorator(cache_control(private=True, no_store=True), name="dispatch")
class AgreementPreviewView(AgreementDetailView):
    template_name = "aid/agreement_preview.html"
    # Not .published(): this page is for the staff, who read what readers do not see yet.
    queryset = Agreement.objects.for_page()

    def dispatch(self, request, *args, **kwargs):
        if not may_preview(request.user):
            raise Http404("No such agreement.")
        response = super().dispatch(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        context["preview"] = {
            "revises": agreement.revises if agreement.is_revision else None,
            "status": agreement.get_status_display(),
        }
        return context
