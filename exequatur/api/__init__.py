"""The HTTP gateway ministries call (docs/api.md). Never imported by workflow code."""
