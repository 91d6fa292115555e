"""Routers of the questionnaires service (templates and returns arrive with their issue)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
