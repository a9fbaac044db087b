"""Service document and `$metadata` (EDMX 4.0), generated from the EDM per version."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import quoteattr

from mockpace.reporting import edm
from mockpace.reporting.edm import Complex, Nav, Prop


def service_document(root: str, version: str) -> dict[str, Any]:
    return {
        "@odata.context": f"{root}/$metadata",
        "value": [{"name": s.name, "kind": "EntitySet", "url": s.name}
                  for s in edm.entity_sets(version)],
    }


def _type_ref(edm_type: str) -> str:
    return edm_type


def edmx(version: str) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
             "<edmx:DataServices>",
             f'<Schema Namespace="{edm.NS_MODELS}" xmlns="http://docs.oasis-open.org/odata/ns/edm">']
    for t in edm.types_for(version):
        tag = "EntityType" if t.entity else "ComplexType"
        lines.append(f"<{tag} Name={quoteattr(t.name)}>")
        if t.entity and t.key:
            lines.append(f'<Key><PropertyRef Name="{t.key}" /></Key>')
        for m in t.members_for(version):
            if isinstance(m, Prop):
                nullable = "" if m.nullable else ' Nullable="false"'
                lines.append(f'<Property Name="{m.name}" Type="{_type_ref(m.edm)}"{nullable} />')
            elif isinstance(m, Complex):
                nullable = "" if m.nullable else ' Nullable="false"'
                lines.append(f'<Property Name="{m.name}" Type="{m.type.full_name}"{nullable} />')
        for m in t.members_for(version):
            if isinstance(m, Nav):
                target = edm.TYPES[m.target].full_name
                type_name = f"Collection({target})" if m.collection else target
                extra = "" if m.collection or m.nullable else ' Nullable="false"'
                contains = "" if m.bound_set else ' ContainsTarget="true"'
                lines.append(f'<NavigationProperty Name="{m.name}" Type="{type_name}"'
                             f"{extra}{contains} />")
        lines.append(f"</{tag}>")
    lines.append("</Schema>")
    lines.append(f'<Schema Namespace="{edm.NS_ENUMS}" '
                 'xmlns="http://docs.oasis-open.org/odata/ns/edm">')
    for name, members in edm.ENUM_TYPES.items():
        lines.append(f'<EnumType Name="{name}">')
        lines += [f'<Member Name="{m}" Value="{i}" />' for i, m in enumerate(members)]
        lines.append("</EnumType>")
    lines.append("</Schema>")
    lines.append('<Schema Namespace="Default" xmlns="http://docs.oasis-open.org/odata/ns/edm">')
    lines.append('<EntityContainer Name="Container">')
    for s in edm.entity_sets(version):
        t = edm.TYPES[s.type]
        lines.append(f'<EntitySet Name="{s.name}" EntityType="{t.full_name}">')
        for m in t.members_for(version):
            if isinstance(m, Nav) and m.bound_set:
                lines.append(f'<NavigationPropertyBinding Path="{m.name}" '
                             f'Target="{m.bound_set}" />')
        lines.append("</EntitySet>")
    lines.append("</EntityContainer>")
    lines.append("</Schema>")
    lines.append("</edmx:DataServices>")
    lines.append("</edmx:Edmx>")
    return "\n".join(lines)
