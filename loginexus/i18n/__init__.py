"""Languages and time (PRODUCT.md): which language and time zone a request is served in, the
one way numbers, money and dates are formatted for it, and the catalogues compiled at start-up."""
