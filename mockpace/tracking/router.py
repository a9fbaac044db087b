"""Tracking API routes (placeholder until the surface is built)."""

from fastapi import APIRouter

router = APIRouter(tags=["tracking"])
