"""Exception classes of the held-out application, one nested in a class
(printed ``billing.errors.Gateway.Timeout``: module + __qualname__)."""


class BillingError(Exception):
    """Base class."""


class PaymentRejected(BillingError):
    """The payment provider said no."""


class ConfigError(BillingError):
    """Settings could not be loaded."""


class Gateway:
    """Errors of the payment gateway client."""

    class Timeout(BillingError):
        """The gateway did not answer in time."""

    class Unavailable(BillingError):
        """The gateway answered 503."""
