"""The API's one pagination: {"count", "next", "previous", "results"}, page size adjustable."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """A `page_size` that is not a whole number from 1 to 100 is a 400, not quietly the
        default or the maximum."""
        given = request.query_params.getlist(self.page_size_query_param)
        if given and not all(
            value.isdigit() and 1 <= int(value) <= self.max_page_size for value in given
        ):
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return super().get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        """A blank `page` is a 400 too (DRF would read it as the first page)."""
        if "" in request.query_params.getlist(self.page_query_param):
            raise ValidationError({self.page_query_param: ["A whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
