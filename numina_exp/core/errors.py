class ConfigError(ValueError):
    """A config problem found before any model loads. The message names the key and the fix."""

    def __init__(self, key: str, problem: str, fix: str):
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"config error at `{key}`: {problem}\n  fix: {fix}")
