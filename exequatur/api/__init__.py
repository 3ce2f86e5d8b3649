"""The HTTP gateway ministries call (API.md). Never imported by workflow code."""
