"""What every layer may use: settings (every environment variable), logs (structlog), the payload codec."""
