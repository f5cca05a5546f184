"""ConfigError lives in numina_exp.core.errors (every layer raises it); re-exported for the config layer."""
from ..core.errors import ConfigError

__all__ = ["ConfigError"]
