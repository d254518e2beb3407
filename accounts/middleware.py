from django.utils.deprecation import MiddlewareMixin


class ChineseFirstMiddleware(MiddlewareMixin):
    """Simplified Chinese unless the user chose English with the switch (a cookie).

    The browser's Accept-Language is ignored: intranet PCs often run English-language
    browsers, and officials should not land on an English page because of that.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
