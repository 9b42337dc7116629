def nav(request):
    return {"care_nav": {}}
