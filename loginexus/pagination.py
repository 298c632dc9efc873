"""The API's one pagination: {"count", "next", "previous", "results"}, page size adjustable."""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
