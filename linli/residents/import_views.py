# Placeholder: the importer's pages are being written (see import_views in the next commit).
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def import_upload(request):
    return HttpResponse("import")
