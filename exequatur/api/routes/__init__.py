"""One APIRouter per resource; api/app.py includes them in this order."""
