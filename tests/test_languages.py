"""Each non-Python language against its fixture repository under tests/fixtures/<language>/.

Every fixture is a tiny shop: a documented class-like and function-like definition, a header
comment, an import of another fixture file (must resolve) and of a library (must not), a call into
another file, and an inheritance.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from graph.languages import BY_NAME, LANGUAGES, compiled, language_for, language_of
from graph.parse import clean_comment, parse_source
from graph.package_manifests import PackageFolders
from graph.resolve import RepoFiles
from graph.symbols import CLASS, FUNCTION, MACRO, FileSymbols, Import

FIXTURES = Path(__file__).parent / "fixtures"
GO_MODULE = ("example.com/shop", "")  # tests/fixtures/go/go.mod, at the fixture's root


@cache
def parsed(language: str) -> dict[str, FileSymbols]:
    """Every source file of the fixture, parsed with the language the index gives it (a `.h` by its content)."""
    root = FIXTURES / language
    out = {}
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root).as_posix()
        spec = language_of(rel, file.read_bytes()) if language_for(rel) else None
        if spec is not None:
            out[rel] = parse_source(rel, file.read_bytes(), spec, "0" * 64)
    return out


def defs(fs: FileSymbols) -> dict[str, tuple[str, str]]:
    return {d.qualname: (d.kind, d.subkind) for d in fs.definitions}


def doc_of(fs: FileSymbols, qualname: str) -> str:
    return next(d.doc for d in fs.definitions if d.qualname == qualname)


def file_doc(language: str, path: str, source: str) -> str:
    return parse_source(path, source.encode(), BY_NAME[language], "0").doc


def imports(fs: FileSymbols) -> dict[str, tuple[str, ...]]:
    return {i.module: i.names for i in fs.imports}


def calls(fs: FileSymbols) -> set[tuple[str | None, str]]:
    return {(c.caller, c.name) for c in fs.calls}


def inherits(fs: FileSymbols) -> set[tuple[str, str]]:
    return {(i.child, i.base) for i in fs.inherits}


def resolve(language: str, importer: str, module: str, names=(), go_module=None) -> list[str]:
    files = parsed(language)
    imp = next(i for i in files[importer].imports if i.module == module)
    assert imp.names == tuple(names)
    return BY_NAME[files[importer].language].resolve_import(importer, imp, RepoFiles.of(files, PackageFolders(go_module=go_module)))


# --- every language ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec", LANGUAGES, ids=lambda s: s.name)
def test_query_compiles(spec):
    parser, query = compiled(spec.name)
    assert query.pattern_count > 0


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx", "java", "go", "c", "cpp", "rust",
                                      "ruby", "php", "csharp", "kotlin", "swift", "scala", "objc",
                                      "dart", "lua", "elixir"])
def test_fixture_parses_cleanly(language):
    files = parsed(language)
    assert 3 <= len(files) <= 5
    assert len({p.rpartition("/")[0] for p in files}) >= 2  # at least two directories
    assert all(fs.syntax_errors == 0 for fs in files.values()), {p: fs.syntax_errors for p, fs in files.items()}
    assert list((FIXTURES / language).glob("*/**/README.md"))  # a README in a subdirectory


def test_tsx_query_is_typescript_plus_jsx():
    queries = Path(__file__).parents[1] / "graph" / "queries"
    body = lambda name: [x for x in (queries / name).read_text().splitlines() if not x.startswith(";")]
    ts, tsx = body("typescript.scm"), body("tsx.scm")
    assert tsx[: len(ts)] == ts and any("jsx_self_closing_element" in x for x in tsx[len(ts):])


# --- JavaScript -------------------------------------------------------------------------------

def test_javascript():
    files = parsed("javascript")
    assert sorted(files) == ["src/cart.js", "src/checkout.js", "src/money/format.js"]
    cart, checkout, fmt = files["src/cart.js"], files["src/checkout.js"], files["src/money/format.js"]

    assert cart.language == "javascript"
    assert cart.doc == "Shopping cart: holds line items and computes the order total."
    assert checkout.doc == "Checkout: turns a cart into an order."  # after 'use strict'
    assert fmt.doc == "Money formatting helpers."
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.total": (FUNCTION, "method")}
    assert defs(fmt) == {"formatPrice": (FUNCTION, "function"), "toCents": (FUNCTION, "function")}
    assert defs(checkout) == {"GiftCart": (CLASS, "class"), "GiftCart.total": (FUNCTION, "method"),
                              "checkout": (FUNCTION, "function")}
    assert doc_of(cart, "Cart") == "A shopping cart that tells its listeners when an item is added."
    assert doc_of(cart, "Cart.add") == "Adds an item and notifies listeners."
    assert doc_of(fmt, "formatPrice") == 'Formats an amount in cents as a price, e.g. 1999 -> "$19.99".'
    assert doc_of(fmt, "toCents") == "Converts dollars to whole cents."

    assert imports(cart) == {"./money/format.js": ("formatPrice",), "events": ("EventEmitter",)}
    assert imports(checkout) == {"./cart": (), "./money/format": (), "express": ()}
    assert resolve("javascript", "src/cart.js", "./money/format.js", ["formatPrice"]) == ["src/money/format.js"]
    assert resolve("javascript", "src/checkout.js", "./cart") == ["src/cart.js"]
    assert resolve("javascript", "src/checkout.js", "./money/format") == ["src/money/format.js"]
    assert resolve("javascript", "src/cart.js", "events", ["EventEmitter"]) == []
    assert resolve("javascript", "src/checkout.js", "express") == []

    assert {("Cart.total", "formatPrice"), ("Cart.add", "push"), ("Cart.add", "emit")} <= calls(cart)
    assert {("checkout", "toCents"), ("checkout", "total"), ("GiftCart.total", "total")} <= calls(checkout)
    assert ("checkout", "require") not in calls(checkout) and (None, "require") not in calls(checkout)
    assert inherits(cart) == {("Cart", "EventEmitter")}
    assert inherits(checkout) == {("GiftCart", "Cart")}


# --- TypeScript -------------------------------------------------------------------------------

def test_typescript():
    files = parsed("typescript")
    assert sorted(files) == ["src/cart.ts", "src/models/product.ts", "src/pricing/discount.ts"]
    cart, product, discount = files["src/cart.ts"], files["src/models/product.ts"], files["src/pricing/discount.ts"]

    assert cart.doc == "Shopping cart for the web shop."
    assert product.doc == "Catalog model: products and the categories they are sold in."
    assert discount.doc == "Discount rules applied at checkout."
    assert defs(product) == {
        "Priced": (CLASS, "interface"), "Priced.priceCents": (FUNCTION, "method"),
        "Stocked": (CLASS, "interface"), "Category": (CLASS, "enum"),
        "Product": (CLASS, "class"), "Product.priceCents": (FUNCTION, "method"),
    }
    assert defs(discount) == {
        "DiscountRule": (CLASS, "class"), "DiscountRule.apply": (FUNCTION, "method"),
        "PercentOff": (CLASS, "class"), "PercentOff.apply": (FUNCTION, "method"),
        "discountedTotal": (FUNCTION, "function"),
    }
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.total": (FUNCTION, "method")}
    assert doc_of(product, "Category") == "Shelf categories."
    assert doc_of(discount, "DiscountRule") == "A rule that lowers the price of an item."
    assert doc_of(discount, "discountedTotal") == "Sums the discounted prices of the items."
    assert doc_of(cart, "Cart.total") == "The total after a 10% discount."

    assert imports(cart) == {"uuid": ("v4",), "./models/product": ("Product",),
                             "./pricing/discount": ("PercentOff", "discountedTotal")}
    assert imports(discount) == {"../models/product": ("Priced",)}  # `import type`
    assert resolve("typescript", "src/cart.ts", "./pricing/discount", ["PercentOff", "discountedTotal"]) \
        == ["src/pricing/discount.ts"]
    assert resolve("typescript", "src/pricing/discount.ts", "../models/product", ["Priced"]) \
        == ["src/models/product.ts"]
    assert resolve("typescript", "src/cart.ts", "uuid", ["v4"]) == []

    assert {("Cart.total", "discountedTotal"), ("Cart.total", "PercentOff"), ("Cart", "uuid")} <= calls(cart)
    assert {("discountedTotal", "apply"), ("discountedTotal", "priceCents")} <= calls(discount)
    assert inherits(product) == {("Product", "Stocked"), ("Stocked", "Priced")}
    assert inherits(discount) == {("PercentOff", "DiscountRule")}


# --- TSX --------------------------------------------------------------------------------------

def test_tsx():
    files = parsed("tsx")
    assert sorted(files) == ["src/App.tsx", "src/components/CartView.tsx", "src/lib/format.ts"]
    app, view, fmt = files["src/App.tsx"], files["src/components/CartView.tsx"], files["src/lib/format.ts"]
    assert (app.language, view.language, fmt.language) == ("tsx", "tsx", "typescript")

    assert app.doc == "Root of the shop front end."
    assert view.doc == "The cart panel: lists line items with their prices."
    assert defs(view) == {"LineItemProps": (CLASS, "interface"), "LineItem": (FUNCTION, "function"),
                          "CartView": (FUNCTION, "function")}
    assert defs(app) == {"AppState": (CLASS, "interface"), "App": (CLASS, "class"),
                         "App.clear": (FUNCTION, "method"), "App.render": (FUNCTION, "method")}
    assert doc_of(app, "App") == "The application shell: owns the cart state and renders the cart."
    assert doc_of(app, "App.clear") == "Empties the cart."
    assert doc_of(view, "CartView") == "The whole cart as a list."
    assert doc_of(fmt, "formatPrice") == 'Formats cents as a price label, e.g. 1999 -> "$19.99".'

    assert imports(view) == {"react": ("React",), "../lib/format": ("formatPrice",)}
    assert imports(app) == {"react": (), "./components/CartView": ("CartView",)}
    assert resolve("tsx", "src/App.tsx", "./components/CartView", ["CartView"]) == ["src/components/CartView.tsx"]
    assert resolve("tsx", "src/components/CartView.tsx", "../lib/format", ["formatPrice"]) == ["src/lib/format.ts"]
    assert resolve("tsx", "src/App.tsx", "react") == []

    # rendering a component is a call; HTML elements are not
    assert calls(app) == {("App.clear", "setState"), ("App.render", "CartView")}
    assert {("LineItem", "formatPrice"), ("CartView", "LineItem")} <= calls(view)
    assert not {name for _, name in calls(view)} & {"li", "ul"}
    assert inherits(app) == {("App", "React.Component")}


# --- Java -------------------------------------------------------------------------------------

JAVA = "src/main/java/com/acme/shop/"


def test_java():
    files = parsed("java")
    assert sorted(files) == [JAVA + "Cart.java", JAVA + "model/Priced.java", JAVA + "model/Product.java",
                             JAVA + "util/PriceFormatter.java"]
    cart, product = files[JAVA + "Cart.java"], files[JAVA + "model/Product.java"]
    fmt = files[JAVA + "util/PriceFormatter.java"]

    # the license header is skipped; the class Javadoc after the imports documents the file
    assert cart.doc == "A shopping cart: the products a customer is about to buy."
    assert files[JAVA + "model/Priced.java"].doc == "Anything that has a price in cents."
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.priceCents": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method")}
    assert defs(product) == {"Product": (CLASS, "record"), "Product.Category": (CLASS, "enum"),
                             "Product.priceCents": (FUNCTION, "method")}
    assert defs(files[JAVA + "model/Priced.java"]) == {"Priced": (CLASS, "interface"),
                                                       "Priced.priceCents": (FUNCTION, "method")}
    assert doc_of(product, "Product") == "A product of the catalog."  # @param tags cut off
    assert doc_of(product, "Product.Category") == "Shelf categories."
    assert doc_of(cart, "Cart.priceCents") == "The sum of all item prices, in cents."  # above @Override
    assert doc_of(fmt, "PriceFormatter.format") == 'Formats cents as dollars, e.g. 1999 -> "$19.99".'

    assert list(imports(cart)) == ["com.acme.shop.model.Priced", "com.acme.shop.model.Product", "java.util.ArrayList",
                                   "java.util.List", "com.acme.shop.util.PriceFormatter.format"]
    assert resolve("java", JAVA + "Cart.java", "com.acme.shop.model.Product") == [JAVA + "model/Product.java"]
    assert resolve("java", JAVA + "Cart.java", "com.acme.shop.util.PriceFormatter.format") \
        == [JAVA + "util/PriceFormatter.java"]  # static import of a member
    assert resolve("java", JAVA + "Cart.java", "java.util.List") == []
    wildcard = Import("com.acme.shop.model.*")
    assert BY_NAME["java"].resolve_import(JAVA + "Cart.java", wildcard, RepoFiles.of(files)) \
        == [JAVA + "model/Priced.java", JAVA + "model/Product.java"]

    assert {("Cart.label", "format"), ("Cart.label", "priceCents"), ("Cart.add", "add")} <= calls(cart)
    assert ("Cart", "ArrayList") in calls(cart)  # `new ArrayList<>()` in a field initializer
    assert inherits(cart) == {("Cart", "Priced")}
    assert inherits(product) == {("Product", "Priced")}


# --- Go ---------------------------------------------------------------------------------------

def test_go():
    assert (FIXTURES / "go" / "go.mod").read_text().splitlines()[0] == f"module {GO_MODULE[0]}"
    files = parsed("go")
    assert sorted(files) == ["internal/cart/cart.go", "internal/cart/sum.go", "internal/money/money.go", "main.go"]
    main, cart, sum_, money = (files[p] for p in ("main.go", "internal/cart/cart.go", "internal/cart/sum.go",
                                                   "internal/money/money.go"))

    assert main.doc == "Command shop serves the shopping cart over HTTP."
    assert cart.doc == "Package cart keeps the items a customer is about to buy."
    assert sum_.doc == ""  # a comment after the package clause documents a declaration, not the file
    assert defs(cart) == {"Item": (CLASS, "struct"), "Cart": (CLASS, "struct"), "New": (FUNCTION, "function"),
                          "Cart.Add": (FUNCTION, "method"), "Cart.Total": (FUNCTION, "method")}
    assert defs(sum_) == {"Priced": (CLASS, "interface"), "sum": (FUNCTION, "function")}
    assert [d.parent for d in cart.definitions if d.name == "Add"] == ["Cart"]  # from the receiver
    assert doc_of(cart, "Cart") == "Cart is a shopping cart safe for concurrent use."
    assert doc_of(cart, "Cart.Total") == "Total returns the formatted sum of the item prices."
    assert doc_of(sum_, "Priced") == "Priced is anything with a price in cents."
    assert doc_of(money, "Format") == 'Format renders cents as dollars, e.g. 1999 -> "$19.99".'

    assert list(imports(main)) == ["fmt", "log", "net/http", "example.com/shop/internal/cart"]
    assert list(imports(cart)) == ["sync", "example.com/shop/internal/money"]
    assert resolve("go", "main.go", "example.com/shop/internal/cart", go_module=GO_MODULE) \
        == ["internal/cart/cart.go", "internal/cart/sum.go"]
    assert resolve("go", "internal/cart/cart.go", "example.com/shop/internal/money", go_module=GO_MODULE) \
        == ["internal/money/money.go"]
    assert resolve("go", "main.go", "net/http", go_module=GO_MODULE) == []
    assert resolve("go", "internal/cart/cart.go", "sync", go_module=GO_MODULE) == []

    assert {("main", "New"), ("main", "Total"), ("main", "ListenAndServe")} <= calls(main)
    assert {("Cart.Total", "Format"), ("Cart.Total", "sum"), ("Cart.Add", "Lock")} <= calls(cart)
    assert inherits(cart) == {("Cart", "sync.Mutex")}  # struct embedding


# --- C ----------------------------------------------------------------------------------------

def test_c():
    files = parsed("c")
    assert sorted(files) == ["include/shop/cart.h", "src/cart.c", "src/money.c", "src/money.h"]
    header, cart, money = files["include/shop/cart.h"], files["src/cart.c"], files["src/money.c"]

    assert header.doc == "Shopping cart: a fixed-size list of line items and their total."  # inside the guard
    assert cart.doc == "Cart operations."
    assert files["src/money.h"].doc == "Money formatting."  # before `#pragma once`
    assert defs(header) == {"Item": (CLASS, "struct"), "cart": (CLASS, "struct"),
                            "cart_add": (FUNCTION, "function"), "cart_total": (FUNCTION, "function")}
    # `struct cart *c` in a parameter names a type, it does not define one
    assert defs(cart) == {"cart_add": (FUNCTION, "function"), "cart_total": (FUNCTION, "function")}
    assert doc_of(header, "Item") == "One product line of a cart."  # `typedef struct { ... } Item;`
    assert doc_of(header, "cart") == "A cart holds up to 16 items."
    assert doc_of(header, "cart_add") == "Adds an item; returns 0 when the cart is full."
    assert doc_of(money, "format_price") == 'Formats cents as dollars, e.g. 1999 -> "$19.99".'

    assert list(imports(cart)) == ["<string.h>", "shop/cart.h", "money.h"]
    assert resolve("c", "src/cart.c", "shop/cart.h") == ["include/shop/cart.h"]
    assert resolve("c", "src/cart.c", "money.h") == ["src/money.h"]
    assert resolve("c", "src/cart.c", "<string.h>") == []
    assert resolve("c", "include/shop/cart.h", "<stddef.h>") == []

    assert calls(cart) == {("cart_total", "format_price")}
    assert calls(money) == {("format_price", "snprintf")}
    assert all(not fs.inherits for fs in files.values())


# --- C++ --------------------------------------------------------------------------------------

def test_cpp():
    files = parsed("cpp")
    assert sorted(files) == ["include/shop/cart.hpp", "include/shop/priced.hpp", "src/cart.cpp",
                             "src/format.cpp", "src/format.hpp"]
    header, priced, cart, fmt = (files[p] for p in ("include/shop/cart.hpp", "include/shop/priced.hpp",
                                                    "src/cart.cpp", "src/format.cpp"))

    assert header.doc == "Shopping cart: line items and their formatted total."  # after `#pragma once`
    assert cart.doc == "Cart implementation."
    assert defs(header) == {"Item": (CLASS, "struct"), "Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                            "Cart.price_cents": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method")}
    # methods defined outside their class belong to it
    assert defs(cart) == {"Cart.add": (FUNCTION, "method"), "Cart.price_cents": (FUNCTION, "method"),
                          "Cart.label": (FUNCTION, "method")}
    assert defs(priced) == {"Priced": (CLASS, "struct"), "Priced.price_cents": (FUNCTION, "method")}
    assert doc_of(header, "Cart") == "A cart is priced as the sum of its items."
    assert doc_of(header, "Cart.add") == "Puts an item in the cart."
    assert doc_of(cart, "Cart.label") == "The total as a receipt label."
    assert doc_of(fmt, "format_price") == 'Formats cents as dollars, e.g. 1999 -> "$19.99".'

    assert list(imports(cart)) == ["<numeric>", "shop/cart.hpp", "format.hpp"]
    assert resolve("cpp", "src/cart.cpp", "shop/cart.hpp") == ["include/shop/cart.hpp"]
    assert resolve("cpp", "src/cart.cpp", "format.hpp") == ["src/format.hpp"]
    assert resolve("cpp", "include/shop/cart.hpp", "shop/priced.hpp") == ["include/shop/priced.hpp"]
    assert resolve("cpp", "src/cart.cpp", "<numeric>") == []

    assert {("Cart.label", "format_price"), ("Cart.label", "price_cents"), ("Cart.add", "push_back"),
            ("Cart.price_cents", "accumulate")} <= calls(cart)
    assert inherits(header) == {("Cart", "Priced")}


# --- Rust -------------------------------------------------------------------------------------

def test_rust():
    files = parsed("rust")
    assert sorted(files) == ["src/cart.rs", "src/lib.rs", "src/pricing/discount.rs", "src/pricing/mod.rs"]
    lib, cart, pricing, discount = (files[p] for p in ("src/lib.rs", "src/cart.rs", "src/pricing/mod.rs",
                                                       "src/pricing/discount.rs"))

    assert lib.doc == "Shop library: carts and the pricing rules applied to them."
    assert cart.doc == "Shopping cart: the items a customer is about to buy."
    assert defs(cart) == {"Item": (CLASS, "struct"), "Cart": (CLASS, "struct"), "Cart.new": (FUNCTION, "method"),
                          "Cart.add": (FUNCTION, "method"), "Cart.price_cents": (FUNCTION, "method"),
                          "Cart.fmt": (FUNCTION, "method")}
    assert defs(pricing) == {"Priced": (CLASS, "trait"), "Priced.price_cents": (FUNCTION, "method"),
                             "sum": (FUNCTION, "function")}
    assert defs(lib) == {"Error": (CLASS, "enum")}
    assert defs(discount) == {"PercentOff": (CLASS, "struct"), "PercentOff.apply": (FUNCTION, "method")}
    assert doc_of(cart, "Cart") == "A cart holds at most `capacity` items."  # above #[derive]
    assert doc_of(cart, "Cart.new") == "Creates an empty cart."
    assert doc_of(pricing, "Priced.price_cents") == "The price in cents."  # a declaration without a body
    assert doc_of(pricing, "sum") == "Adds up prices in cents."

    # found by a user's probe: a `//!` header and the first item's `///` right below it were one doc
    from graph.languages import BY_NAME
    from graph.parse import parse_source

    source = (b"//! Rate limiter for the public API.\n/// Token bucket.\npub struct Bucket {\n    tokens: u32,\n}\n")
    tight = parse_source("src/limit.rs", source, BY_NAME["rust"], "x")
    assert tight.doc == "Rate limiter for the public API."
    assert doc_of(tight, "Bucket") == "Token bucket."

    assert imports(lib) == {"mod cart": (), "mod pricing": (), "cart::Cart": ()}
    assert imports(cart) == {"std::fmt": (), "crate::pricing": ("Priced", "self"), "crate::Error": ()}
    assert imports(discount) == {"serde::Deserialize": (), "super::Priced": ()}
    assert resolve("rust", "src/lib.rs", "mod cart") == ["src/cart.rs"]
    assert resolve("rust", "src/lib.rs", "mod pricing") == ["src/pricing/mod.rs"]
    assert resolve("rust", "src/pricing/mod.rs", "mod discount") == ["src/pricing/discount.rs"]
    assert resolve("rust", "src/lib.rs", "cart::Cart") == ["src/cart.rs"]  # a child module, 2018 style
    assert resolve("rust", "src/cart.rs", "crate::pricing", ["Priced", "self"]) == ["src/pricing/mod.rs"]
    assert resolve("rust", "src/cart.rs", "crate::Error") == ["src/lib.rs"]  # an item of the crate root
    assert resolve("rust", "src/pricing/discount.rs", "super::Priced") == ["src/pricing/mod.rs"]
    assert resolve("rust", "src/cart.rs", "std::fmt") == []
    assert resolve("rust", "src/pricing/discount.rs", "serde::Deserialize") == []

    assert {("Cart.price_cents", "sum"), ("Cart.new", "new"), ("Cart.add", "push")} <= calls(cart)
    assert ("PercentOff.apply", "price_cents") in calls(discount)
    assert inherits(cart) == {("Cart", "Priced"), ("Cart", "fmt::Display")}  # `impl Trait for Type`
    assert inherits(pricing) == {("Priced", "std::fmt::Debug")}  # a supertrait


# --- generated-code banners -------------------------------------------------------------------

def test_generated_code_banners_are_not_documentation():
    python = BY_NAME["python"]
    banner = ("#                🚨🚨🚨🚨🚨🚨\n"
              "#           This file was automatically generated from src/shop/modular_cart.py.\n"
              "#               Do NOT edit this file manually.\n"
              "#                🚨🚨🚨🚨🚨🚨\n")
    assert parse_source("a.py", (banner + "import os\n\nclass Cart:\n    pass\n").encode(), python, "0").doc == ""
    # a real header comment after the banner still documents the file
    source = banner + "\n# Shopping cart: what a customer is about to buy.\n\nimport os\n"
    assert parse_source("b.py", source.encode(), python, "0").doc == "Shopping cart: what a customer is about to buy."
    go = ("// Code generated by protoc-gen-go. DO NOT EDIT.\n\n"
          "// Package cart keeps what a customer is about to buy.\npackage cart\n")
    assert parse_source("cart.go", go.encode(), BY_NAME["go"], "0").doc == "Package cart keeps what a customer is about to buy."
    # prose that merely mentions generated things is kept
    kept = "# Helpers for values generated by the parser.\n\nimport os\n"
    assert parse_source("c.py", kept.encode(), python, "0").doc == "Helpers for values generated by the parser."


def test_tool_directives_in_comments_are_not_documentation():
    python = BY_NAME["python"]
    source = "#!/usr/bin/env python3\n# mypy: allow-untyped-defs\n\nimport os\n\ndef f():\n    pass\n"
    assert parse_source("a.py", source.encode(), python, "0").doc == ""
    source = "# -*- coding: utf-8 -*-\n# pylint: disable=invalid-name\n# Price rules of the shop.\nimport os\n"
    assert parse_source("b.py", source.encode(), python, "0").doc == "Price rules of the shop."
    js = "// eslint-disable-next-line no-console\n// Logs what the cart does.\nexport function log() {}\n"
    assert parse_source("log.js", js.encode(), BY_NAME["javascript"], "0").doc == "Logs what the cart does."
    # a line that only starts like a directive is prose
    for prose in ("Vimeo client: uploads and fetches videos.", "Cython helpers for fast parsing.",
                  "fmt holds the format strings.", "Go: the board game engine."):
        assert parse_source("c.py", f"# {prose}\nimport os\n".encode(), python, "0").doc == prose


def test_a_lone_word_labels_code_and_documents_nothing():
    # ujson's ujson.c: a license, includes, then each declaration under a comment of its own name
    c = ("/* Copyright (c) 2014, Electronic Arts Inc. All rights reserved. */\n#include \"ujson.h\"\n\n"
         "/* objToJSON */\nPyObject* objToJSON(PyObject* self, PyObject *args);\n\n"
         "/* JSONToObj */\nPyObject* JSONToObj(PyObject* self, PyObject *args) { return 0; }\n")
    symbols = parse_source("ujson.c", c.encode(), BY_NAME["c"], "0")
    assert symbols.doc == ""
    assert {d.name: d.doc for d in symbols.definitions}["JSONToObj"] == ""
    python = "# Benchmarks\ndef run_decode():\n    pass\n\n# Decodes one document.\ndef decode():\n    pass\n"
    docs = {d.name: d.doc for d in parse_source("bench.py", python.encode(), BY_NAME["python"], "0").definitions}
    assert docs == {"run_decode": "", "decode": "Decodes one document."}


def test_a_header_in_cpp_is_parsed_as_cpp(tmp_path):
    from graph.languages import language_of
    from graph.walk import walk

    c_header = b'#ifdef __cplusplus\nextern "C" {\n#endif\nstruct item { int cents; };\nint total(void);\n'
    cpp_header = b"#pragma once\nnamespace shop {\n/** A shopping cart. */\nclass Cart {\n public:\n  int total() const;\n};\n}\n"
    assert language_of("item.h", c_header).name == "c"
    assert language_of("cart.h", cpp_header).name == "cpp"
    assert language_of("cart.c", cpp_header).name == "c"  # only `.h` is ambiguous
    (tmp_path / "item.h").write_bytes(c_header)
    (tmp_path / "cart.h").write_bytes(cpp_header)
    found = {f.path: f.language for f in walk(str(tmp_path)).files}
    assert found == {"item.h": "c", "cart.h": "cpp"}
    symbols = parse_source("cart.h", cpp_header, BY_NAME[found["cart.h"]], "0")
    assert defs(symbols)["Cart"] == (CLASS, "class") and symbols.syntax_errors == 0


# --- comments written for tools and editors, in JS/TS/Java/C ---------------------------------

@pytest.mark.parametrize("comment, expected", [
    # rulers, and triple-slash TypeScript directives (rxjs' src/index.ts)
    ("//////////\n// Here we reference our deep imports.\n//////////\n/// <reference path=\"./ops.ts\" />", "Here we reference our deep imports."),
    ("# ----------------\n# Price rules\n# ----------------\n# Applied at checkout.", "Price rules. Applied at checkout."),
    ("/* tslint:disable:max-line-length */", ""),
    ("/** @internal */", ""),  # markers are no description
    ("/***\n * @deprecated Internal detail, do not use.\n */", ""),
    ("/**\n * Sends an {@link Order} to {@link Gateway|the gateway}.\n * @param order what was bought\n */", "Sends an Order to Gateway."),
    ("/**\n * Returns the total.\n * <p>Sums up {@code items}.\n * @return cents\n */", "Returns the total. Sums up items."),
    ("/**\n * \\file cart.h\n * \\brief A shopping cart.\n */", "A shopping cart."),
    ("/** @file Helpers of the shopping cart. */", "Helpers of the shopping cart."),
    # rxjs: a title line, then an informal summary in a span
    ("/**\n *\n * Animation Frame Scheduler\n *\n * <span class=\"informal\">Perform task when a frame is drawn</span>\n */",
     "Animation Frame Scheduler. Perform task when a frame is drawn."),
    ("// TODO: remove when the enum goes", ""),
    # RDoc: a `= Title` line (sinatra-contrib's "= Sinatra::JSON"), `=begin`/`=end` around a block comment,
    # C#'s XML documentation
    ("# = Sinatra::JSON\n#\n# Adds a helper method, called +json+.", "Sinatra::JSON. Adds a helper method, called json."),
    ("=begin\nParses the routes.\n=end", "Parses the routes."),
    ("/// <summary>\n/// Converts to <see cref=\"T:Newtonsoft.Json.Linq.JToken\"/>.\n/// </summary>\n/// <param name=\"o\">x</param>",
     "Converts to JToken."),
    # commented-out code and editor folding markers (JPype's Java sources)
    ("// Kept until Java 7 goes\n//  public static Supplier lambda()\n//  {\n//    return () -> 1;\n//  }", "Kept until Java 7 goes"),
    ("//<editor-fold desc=\"int\">\n// #region Helpers", ""),
    ("// Region codes of the shop.", "Region codes of the shop."),
    ("// DOUBLE_CONVERSION_H_", ""),  # an include guard's name
    ("//#define PRINTMARK() fprintf(stderr, \"%s: MARK(%d)\\n\", __FILE__, __LINE__)", ""),  # ujson's JSONtoObj.c
    ("// #include <debug.h> when tracing", ""),
    ("//# sourceMappingURL=cart.js.map", ""),
    ("// ===== Totals =====\n// Sums up the cart.", "Totals. Sums up the cart."),  # a title in a frame (django's tests)
    ("// Loading...", "Loading..."),
    ("// HTTP client of the shop.", "HTTP client of the shop."),
    ("// https://docs.python.org/3/c-api/typeobj.html", ""),  # a bare link (orjson's Rust sources)
    ("// See https://example.com/spec for the format.", "See https://example.com/spec for the format."),
    ("// Computes taxes.\n// FIXME: rounding", "Computes taxes."),
    # a note's paragraph is left out, the prose after it kept (it was all dropped: README audit, sweep 11)
    ("# FIXME(bob): slow\n#\n# Computes the shipping cost.", "Computes the shipping cost."),
    ("// TODO: cache this\n// Maybe it can be computed once.\n//\n// Sums the rows.", "Sums the rows."),
    ("# TODO: remove this\n# Formats a date.", ""),  # one paragraph: the note's own sentence, as far as it says
    ("// Computes taxes.\n// FIXME: rounding\n//\n// Example: taxes(cart)", "Computes taxes."),
    # sweep 12: a Javadoc tag broken over lines (gson), nlohmann's banner; sweep 13: a tag left open across
    # a blank line keeps the prose, arrows between words are no banner
    ("/**\n * Sums the cart, see {@link Cart\n *\n * Totals in cents.\n */", "Sums the cart, see {@link Cart. Totals in cents."),  # as before sweep 12
    ("# client  -->  proxy  -->  server", "client --> proxy --> server"),
    ("/**\n * Gson is used by first constructing a {@code\n * GsonBuilder} instance.\n */",
     "Gson is used by first constructing a GsonBuilder instance."),
    # a line ending in a tag's `}` is no code, a link's parameters may hold spaces, `{@code}` keeps all it
    # holds (gson's Gson.java was "constructing a methods on it", its tests' "Unit test for {@link JsonParser}." nothing)
    ("/**\n * Gson is used by first constructing a\n * Gson instance and then invoking {@link #toJson(Object)} or {@link #fromJson(String, Class)}\n"
     " * methods on it. Create one with {@code new Gson()}.\n */",
     "Gson is used by first constructing a Gson instance and then invoking #toJson(Object) or "
     "#fromJson(String, Class) methods on it. Create one with new Gson()."),
    ("/**\n * Unit test for {@link JsonParser}\n */", "Unit test for JsonParser."),
    ("//     __ _____ _____ _____\n//  __|  |   __|     |   | |  JSON for Modern C++\n"
     "// |  |  |__   |  |  | | | |  version 3.11.3\n", "JSON for Modern C++"),
    ("/**\n * To do: update docs\n */", ""),  # express's request.js
    ("// To do this, call refresh() first.", "To do this, call refresh() first."),
    # a comment's first sentence, not the example after it
    ("/**\n * Assign a setting.\n *\n *    app.set('foo', 'bar');\n */", "Assign a setting."),
    # a Markdown heading in a Rust doc comment (serde_json's lib.rs) is a title, its hashes no words
    ("//! # Serde JSON\n//!\n//! JSON is a ubiquitous open-standard format.", "Serde JSON. JSON is a ubiquitous open-standard format."),
    ("## Pricing rules\n#\n# Applied at checkout.", "Pricing rules. Applied at checkout."),
    # JavaScript imports commented out, without their semicolons (sweep 14)
    ("// import openWindow from '@/utils/open-window'\n// Opens the sign-in window.", "Opens the sign-in window."),
    ("// import { getToken } from 'api/qiniu'", ""),
    ("// const qiniu = require('qiniu')", ""),
    ("// Imports products from the catalog.", "Imports products from the catalog."),
    # Markdown's and KDoc's links read as their text, a code block ends the prose, RDoc's +code+ is the
    # code, PHP's inline {@see} its target (sweep 14: moshi's summary ended in `Moshi moshi = new …`)
    ("/**\n * Formats dates using [RFC 3339](https://www.ietf.org/rfc/rfc3339.txt) on your\n"
     " * [Moshi.Builder][com.squareup.moshi.Moshi.Builder]:\n * ```\n * Moshi moshi = new Moshi.Builder()\n * ```\n */",
     "Formats dates using RFC 3339 on your Moshi.Builder:"),
    ("/** Throws a [JsonDataException] when a[key][0] is missing, see [1]. */",
     "Throws a JsonDataException when a[key][0] is missing, see [1]."),
    ("/** Utilities and instances for [[Decoder]]. */", "Utilities and instances for Decoder."),
    ("# +read+ behaves like IO#read; a+b+c stays.", "read behaves like IO#read; a+b+c stays."),
    ("/**\n * Represents the log levels, see {@see https://example.org/levels}\n * for their names.\n */",
     "Represents the log levels, see https://example.org/levels for their names."),
])
def test_comment_cleaning(comment, expected):
    assert clean_comment(comment) == expected


def test_a_restructuredtext_title_reads_as_a_sentence():
    from graph.parse import clean_docstring

    doc = '"""\n===========\nBeam Search\n===========\n\nBeam search with dynamic beam width.\n"""'
    assert clean_docstring(doc) == "Beam Search. Beam search with dynamic beam width."


def test_sphinx_cross_references_read_as_their_names():
    from graph.parse import clean_docstring

    doc = '"""Create a :class:`~flask.ctx.RequestContext`, see :py:func:`flask.json.dumps` and :ref:`the docs <json>`; ``None`` too."""'
    assert clean_docstring(doc) == "Create a RequestContext, see flask.json.dumps and the docs; `None` too."


def test_a_license_as_module_docstring_is_no_summary():
    python = BY_NAME["python"]
    source = b'"""Copyright (c) 2015 - Thomson Licensing, SAS\n\nRedistribution and use ..."""\n\n# Second order centrality.\nimport os\n'
    assert parse_source("a.py", source, python, "0").doc == "Second order centrality."
    kept = b'"""Parse SPDX license expressions."""\n'
    assert parse_source("b.py", kept, python, "0").doc == "Parse SPDX license expressions."


def test_commonjs_functions_bound_to_names():
    source = b"""/*!
 * shop
 * MIT Licensed
 */

'use strict';

/**
 * Module dependencies.
 * @private
 */

var parse = require('./parse');

/**
 * Send a response.
 *
 * @param {string} body
 * @public
 */

res.send = function send(body) {
  return parse(body);
};

module.exports = function query(options) {
  return function query(req, res, next) { next(); };
};

const total = (items) => items.length;
"""
    fs = parse_source("lib/response.js", source, BY_NAME["javascript"], "0")
    assert fs.doc == ""  # the license is boilerplate, "Module dependencies." labels the requires
    # one definition per bound function, named by the function where it has a name of its own
    assert defs(fs) == {"send": (FUNCTION, "function"), "query": (FUNCTION, "function"),
                        "query.query": (FUNCTION, "function"), "total": (FUNCTION, "function")}
    assert doc_of(fs, "send") == "Send a response."  # a doc comment one blank line above
    assert ("send", "parse") in calls(fs)


def test_a_doc_comment_stands_alone():
    java = b"""class Context {
//  public void incrementProxy() {
//    proxyCount.incrementAndGet();
//  }
  /**
   * Clear the current interrupt.
   *
   * @param x whether to throw
   */
  public static void clearInterrupt(boolean x) {}
}
"""
    fs = parse_source("Context.java", java, BY_NAME["java"], "0")
    assert doc_of(fs, "Context.clearInterrupt") == "Clear the current interrupt."


def test_overloads_give_way_to_their_implementation():
    ts = b"""/** @deprecated Use {@link total} instead. */
export function sum(items: number[]): number;
export function sum(items: string[]): string;
/**
 * Adds up the items of a cart.
 */
export function sum(items: any[]): any {
  return items.reduce((a, b) => a + b);
}
"""
    fs = parse_source("sum.ts", ts, BY_NAME["typescript"], "0")
    [d] = fs.definitions
    assert (d.start_line, d.end_line, d.doc) == (7, 9, "Adds up the items of a cart.")
    py = b'''from typing import overload

@overload
def price(x: int) -> int: ...
@overload
def price(x: str) -> str: ...
def price(x):
    return x
'''
    fs = parse_source("price.py", py, BY_NAME["python"], "0")
    assert [(d.name, d.start_line) for d in fs.definitions] == [("price", 7)]


def test_comments_above_wrapped_definitions_document_them():
    # the comment stands above the wrapper (decorator, template, declaration), not the definition inside it
    py = b"import functools\n\n# Caches the price of a product.\n@functools.cache\ndef price(product):\n    return 1\n"
    assert doc_of(parse_source("p.py", py, BY_NAME["python"], "0"), "price") == "Caches the price of a product."
    cpp = b"/** Adds two amounts of any currency. */\ntemplate <typename T>\nT add(T a, T b) { return a + b; }\n"
    assert doc_of(parse_source("add.cpp", cpp, BY_NAME["cpp"], "0"), "add") == "Adds two amounts of any currency."
    c = b"/* Total of the cart in cents. */\nint total(const struct cart *c);\n\nint total(const struct cart *c) { return 0; }\n"
    assert doc_of(parse_source("cart.c", c, BY_NAME["c"], "0"), "total") == "Total of the cart in cents."


def test_a_typescript_files_doc_may_follow_its_imports():
    # rxjs' animationFrame.ts: imports, then the JSDoc of the one thing the file exports
    ts = ("import { AnimationFrameAction } from './AnimationFrameAction';\n\n"
          "/**\n *\n * Animation Frame Scheduler\n *\n"
          " * <span class=\"informal\">Perform task when `window.requestAnimationFrame` would fire</span>\n */\n"
          "export const animationFrameScheduler = new AnimationFrameScheduler(AnimationFrameAction);\n")
    assert file_doc("typescript", "animationFrame.ts", ts) == \
        "Animation Frame Scheduler. Perform task when `window.requestAnimationFrame` would fire."
    # a section label after the imports is no description of the file
    assert file_doc("typescript", "h.ts", "import { x } from './x';\n\n// Helpers\nexport function f() {}\n") == ""
    # the file's namesake speaks for it, not the first declaration that happens to have a doc (rxjs's retry.ts)
    retry = ("import { lift } from '../util/lift';\n\n"
             "/** The retry operator configuration object. */\nexport interface RetryConfig { count?: number }\n\n"
             "/** Resubscribes to the source when it errors, at most `count` times. */\n"
             "export function retry(config: RetryConfig) { return lift(config); }\n")
    assert file_doc("typescript", "retry.ts", retry) == "Resubscribes to the source when it errors, at most `count` times."
    # a private helper's comment is no description of the file (zod's schemas.ts, sweep 12)
    helper = ("import en from '../locales/en.js';\n\n"
              "// Register English as the default locale on first ZodType construction.\n"
              "function _ensureDefaultLocale(): void { config(en()); }\n\nexport const ZodType = make();\n")
    assert file_doc("typescript", "schemas.ts", helper) == ""


def test_a_javascript_test_file_says_what_it_tests():
    # query-core's queryCache.test.tsx: no header comment, its tests are callbacks, not definitions
    ts = ("import { describe, it } from 'vitest'\n\n"
          "describe('queryCache', () => {\n"
          "  describe('subscribe', () => { it('passes the query', () => {}) })\n"
          "  describe('find', () => {})\n"
          "  describe.skip('findAll', () => {})\n"
          "})\n")
    assert file_doc("tsx", "queryCache.test.tsx", ts) == "Tests of queryCache: subscribe, find, findAll."
    js = "describe(\"Router\", function () {\n  it('works', function () {})\n})\n"
    assert file_doc("javascript", "router.test.js", js) == "Tests of Router."
    # a header comment still comes first
    documented = "// Router behaviour under load.\ndescribe('Router', () => {})\n"
    assert file_doc("javascript", "load.test.js", documented) == "Router behaviour under load."


def test_wrapped_rust_doc_lines_read_as_one_sentence():
    source = ("//! A minimal Redis server and\n//! client that speaks the protocol.\n//!\n//! More details.\n\n"
              "/// Connects to the Redis server and\n/// returns a client handle.\npub fn connect() {}\n")
    fs = parse_source("src/lib.rs", source.encode(), BY_NAME["rust"], "0" * 64)
    assert fs.doc == "A minimal Redis server and client that speaks the protocol."
    assert doc_of(fs, "connect") == "Connects to the Redis server and returns a client handle."


def test_a_go_file_without_a_header_doc_is_described_by_its_namesake():
    source = ("// Copyright 2014 Someone. All rights reserved.\n// Use of this source code is governed by a MIT style\n"
              "// license that can be found in the LICENSE file.\n\npackage gin\n\n"
              "// Recovery returns a middleware that recovers from any panics and writes a 500.\n"
              "func Recovery() HandlerFunc {\n\treturn nil\n}\n\ntype HandlerFunc func()\n")
    fs = parse_source("recovery.go", source.encode(), BY_NAME["go"], "0" * 64)
    assert fs.doc == "Recovery returns a middleware that recovers from any panics and writes a 500."


def test_an_ascii_art_banner_is_no_summary():
    source = ("//     _    _ _____ ____   ____ _____ _______\n"
              "//    | |  | |_   _|  _ \\ / ___| ____|__   __|\n"
              "//    | |/\\| | | | | | | | |  _|  _|    | |     Widget Toolkit for C++\n"
              "//    |__/\\__| |_| |____/ \\____|_____|  |_|     version 1.4.2\n"
              "//                                               https://example.org/widget\n"
              "//\n// SPDX-License-Identifier: MIT\n\n#pragma once\n\n"
              "/// A widget that draws itself on a canvas.\nclass Widget {\npublic:\n    void draw();\n};\n")
    fs = parse_source("include/widget.hpp", source.encode(), BY_NAME["cpp"], "0" * 64)
    assert fs.doc == "A widget that draws itself on a canvas."  # the namesake's doc, not the banner


def test_a_comment_on_a_preprocessor_directive_is_not_the_file_doc():
    source = ("/*\n  Copyright (c) 2009 Someone\n  Permission is hereby granted, free of charge.\n*/\n\n"
              "/* disable warnings about old C89 functions in MSVC */\n"
              "#if !defined(_CRT_SECURE_NO_DEPRECATE) && defined(_MSC_VER)\n#define _CRT_SECURE_NO_DEPRECATE\n#endif\n\n"
              "#include <string.h>\n\n/* Compares two strings, ignoring case. */\nstatic int compare(const char *a) { return 0; }\n")
    fs = parse_source("src/utils.c", source.encode(), BY_NAME["c"], "0" * 64)
    assert "MSVC" not in fs.doc
    doc = parse_source("src/lib.c", b"/* A JSON parser in C. */\n\n#include <string.h>\nint parse(void) { return 0; }\n",
                       BY_NAME["c"], "0" * 64).doc
    assert doc == "A JSON parser in C."  # a header comment above the includes still is


def test_a_comment_right_above_code_below_the_includes_documents_that_code():
    """ujson's decode.c was summarised "Import JSONDecodeError from ujson.c", the comment on an `extern`
    below its includes (sweep 12); nlohmann's tests "disable -Wnoexcept due to class Evil"."""
    source = (b"/* Copyright (c) 2014, Electronic Arts Inc. All rights reserved. */\n\n#include <Python.h>\n\n"
              b"// Import JSONDecodeError from ujson.c\nextern PyObject* JSONDecodeError;\n\n"
              b"int decode(const char *s) { return 0; }\n")
    for language in ("c", "cpp"):
        assert file_doc(language, "src/decode.c", source.decode()) == ""
    # below the includes but apart from the code, it speaks for the file (tests/fixtures/c/include/shop/cart.h too)
    apart = source.replace(b"ujson.c\nextern", b"ujson.c\n\nextern")
    assert parse_source("src/decode.c", apart, BY_NAME["c"], "0").doc == "Import JSONDecodeError from ujson.c"
    # with nothing above it, a comment on the first function still heads the file (the box of asterisks below)
    assert file_doc("c", "queue.c", "/* A bounded queue of jobs. */\nint push(int job) { return job; }\n") == \
        "A bounded queue of jobs."


def test_a_comment_at_the_end_of_a_line_of_code_documents_that_line_not_the_definition_below():
    # sympy's mathml.py: `greek_letters = set(greeks) # make a copy` right above `def translate(s):`
    py = b"LIMIT = 3  # the most retries a request gets\ndef fetch(url):\n    return url\n"
    assert doc_of(parse_source("f.py", py, BY_NAME["python"], "0"), "fetch") == ""
    # astropy's unquantize.h: a prototype's last parameter comment above the next prototype
    c = (b"int unquantize_a(int *status);  /* IO - error status */\n"
         b"int unquantize_b(int *status);  /* IO - error status */\n")
    assert doc_of(parse_source("u.h", c, BY_NAME["c"], "0"), "unquantize_b") == ""
    # a comment on its own line below such a line still documents what follows it, and one right
    # below a preprocessor line (whose node ends on the next row) is not taken for a trailing one
    py = b"LIMIT = 3  # retries\n# Fetches a URL, retrying.\ndef fetch(url):\n    return url\n"
    assert doc_of(parse_source("f.py", py, BY_NAME["python"], "0"), "fetch") == "Fetches a URL, retrying."
    c = b"#define END 32\n/* One transition of the scanner. */\nstruct trans { int next; };\n"
    assert doc_of(parse_source("s.c", c, BY_NAME["c"], "0"), "trans") == "One transition of the scanner."


def test_a_box_of_asterisks_is_not_part_of_the_comment():
    source = ("/*****************************************************\n"
              " * queue.c -- a bounded queue of jobs                 *\n"
              " *                                                    *\n"
              " *****************************************************/\n"
              "int push(int job) { return job; }\n")
    assert file_doc("c", "queue.c", source) == "queue.c -- a bounded queue of jobs."
    # astropy's wcslib wrappers: a section title boxed in asterisks
    framed = "/***************************************************************************\n" \
             " * PyCelprm methods                                                        *\n" \
             " ***************************************************************************/\n" \
             "static int PyCelprm_new(void) { return 0; }\n"
    assert doc_of(parse_source("w.c", framed.encode(), BY_NAME["c"], "0"), "PyCelprm_new") == "PyCelprm methods."


def test_function_like_macros_are_definitions():
    """A macro called like a function is asked about like one (`list_for_each` in a bug report, serde's
    `json!`): it is a definition with its doc, and its uses are calls. A `#define` of a constant is not."""
    c = (b"/* Doubly linked lists. */\n#include <stddef.h>\n\n#define LIST_POISON 0x100\n\n"
         b"/* Iterates over every node of a list. */\n#define list_for_each(pos, head) \\\n"
         b"    for (pos = (head)->next; pos != (head); pos = pos->next)\n\n"
         b"void list_add(struct list *l);\n"
         b"int list_len(struct list *head) { int n = 0; struct list *p; list_for_each(p, head) n++; return n; }\n")
    for language, path in (("c", "include/list.h"), ("cpp", "include/list.hpp")):
        fs = parse_source(path, c, BY_NAME[language], "0")
        assert defs(fs) == {"list_for_each": (FUNCTION, MACRO), "list_add": (FUNCTION, "function"),
                            "list_len": (FUNCTION, "function")}, language
        assert doc_of(fs, "list_for_each") == "Iterates over every node of a list."
        assert ("list_len", "list_for_each") in calls(fs)
        assert fs.doc == "Doubly linked lists."
    rust = (b"/// Builds a `Value` from JSON syntax.\n#[macro_export]\nmacro_rules! json {\n"
            b"    ($($t:tt)+) => { $crate::from($($t)+) };\n}\n\npub fn null() -> Value { json!(null) }\n")
    fs = parse_source("src/macros.rs", rust, BY_NAME["rust"], "0")
    assert defs(fs) == {"json": (FUNCTION, MACRO), "null": (FUNCTION, "function")}
    assert doc_of(fs, "json") == "Builds a `Value` from JSON syntax."
    assert ("null", "json") in calls(fs)


def test_a_rust_files_own_doc_comes_before_a_plain_comment_above_it():
    """serde_json's lexical/*.rs were all "Adapted from https://github.com/…", the line above their `//!`
    docs (sweep 12)."""
    from graph.languages import BY_NAME
    from graph.parse import parse_source

    source = (b"// Adapted from https://github.com/Alexhuszagh/rust-lexical.\n\n"
              b"//! Building-blocks for arbitrary-precision math.\n\nuse crate::x;\n\npub fn add(a: u32) -> u32 { a }\n")
    assert parse_source("src/math.rs", source, BY_NAME["rust"], "x").doc == \
        "Building-blocks for arbitrary-precision math."
    touching = source.replace(b".\n\n//!", b".\n//!")  # no blank line between them (sweep 13)
    assert parse_source("src/math.rs", touching, BY_NAME["rust"], "x").doc == \
        "Building-blocks for arbitrary-precision math."


# --- Ruby -------------------------------------------------------------------------------------

def test_ruby():
    files = parsed("ruby")
    cart, product = files["lib/shop/cart.rb"], files["lib/shop/model/product.rb"]
    fmt = files["lib/shop/price_formatter.rb"]

    # a module that only wraps classes is a namespace (`module Shop`), one that holds methods is class-like;
    # a comment opening a module's body documents the class below it
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.initialize": (FUNCTION, "method"),
                          "Cart.add": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method"),
                          "Cart.empty": (FUNCTION, "method")}
    assert doc_of(cart, "Cart") == "A shopping cart: the products a customer is about to buy."
    assert doc_of(cart, "Cart.add") == "Puts a product in the cart."  # RDoc's `##` opener
    assert doc_of(product, "Basket") == "Anything that holds products."
    assert defs(fmt) == {"PriceFormatter": (CLASS, "module"), "PriceFormatter.format": (FUNCTION, "method")}
    # the magic comment and "external dependencies" over the requires are no summary: the class the
    # file is named after speaks for it (`price_formatter.rb`: PriceFormatter)
    assert cart.doc == "A shopping cart: the products a customer is about to buy."
    assert fmt.doc == 'Formats prices in cents as dollars, e.g. 1999 -> "$19.99".'
    assert files["lib/shop.rb"].doc == "The shop's entry point: loads the cart and the catalog model."

    assert list(imports(cart)) == ["require forwardable", "require_relative model/product",
                                   "require_relative price_formatter"]
    assert resolve("ruby", "lib/shop/cart.rb", "require_relative model/product") == ["lib/shop/model/product.rb"]
    assert resolve("ruby", "lib/shop.rb", "require shop/cart") == ["lib/shop/cart.rb"]  # from the load path
    assert resolve("ruby", "lib/shop.rb", "require json") == []  # the standard library or a gem
    # a Rake task is Ruby (maybe-finance's `lib/tasks/demo_data.rake` holds what a backtrace named: sweep 17)
    assert language_for("lib/tasks/demo_data.rake").name == "ruby"

    assert {("Cart.label", "format"), ("Cart.add", "Product")} <= calls(cart)  # `Model::Product.new`
    assert inherits(cart) == {("Cart", "Model::Basket"), ("Cart", "Enumerable")}  # a mixin too


# --- PHP --------------------------------------------------------------------------------------

def test_php():
    files = parsed("php")
    cart, product = files["src/Cart.php"], files["src/Model/Product.php"]

    # the package's license header is no summary; the class's doc block after the `use`s is
    assert cart.doc == "A shopping cart: the products a customer is about to buy."
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method")}
    assert doc_of(cart, "Cart.add") == "Puts a product in the cart."  # @param cut off
    assert defs(product) == {"Product": (CLASS, "class"), "Product.__construct": (FUNCTION, "method"),
                             "Product.priceCents": (FUNCTION, "method"), "Category": (CLASS, "enum")}
    assert defs(files["src/CountsItems.php"]) == {"CountsItems": (CLASS, "trait"),
                                                  "CountsItems.count": (FUNCTION, "method")}
    assert defs(files["src/Model/Priced.php"]) == {"Priced": (CLASS, "interface")}

    assert imports(cart) == {"Acme\\Shop\\Model\\Priced": (), "Acme\\Shop\\Model\\Product": (),
                             "Acme\\Shop\\Util": ("Other", "PriceFormatter"), "Psr\\Log\\LoggerInterface": ()}
    # PSR-4: `Acme\Shop\` is `src/`, so a class's file ends with the rest of its name
    assert resolve("php", "src/Cart.php", "Acme\\Shop\\Model\\Product") == ["src/Model/Product.php"]
    assert resolve("php", "src/Cart.php", "Acme\\Shop\\Util", names=("Other", "PriceFormatter")) \
        == ["src/Util/PriceFormatter.php"]  # the group's names, each below the prefix
    assert resolve("php", "src/Cart.php", "Psr\\Log\\LoggerInterface") == []

    assert {("Cart.add", "Product"), ("Cart.label", "format"), ("Cart.label", "array_sum")} <= calls(cart)
    assert inherits(cart) == {("Cart", "Priced"), ("Cart", "Countable"), ("Cart", "CountsItems")}  # and its trait


# --- C# ---------------------------------------------------------------------------------------

CSHARP = "Src/Acme.Shop/"


def test_csharp():
    files = parsed("csharp")
    cart, model = files[CSHARP + "Cart.cs"], files[CSHARP + "Model/Product.cs"]

    # XML documentation: the summary, a reference read as the rendered docs show it; <remarks>, <param>
    # and <returns> end it. The license is skipped; the class the file is named after speaks for it
    assert doc_of(cart, "Cart") == "A shopping cart: the Product items a customer is about to buy."
    assert cart.doc == doc_of(cart, "Cart")
    assert doc_of(cart, "Cart.Add") == "Puts a product in the cart."
    assert doc_of(files[CSHARP + "Util/PriceFormatter.cs"], "PriceFormatter.Format") \
        == 'Formats cents as dollars, e.g. 1999 -> "$19.99".'
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.Add": (FUNCTION, "method"),
                          "Cart.Label": (FUNCTION, "method"), "Cart.PriceCents": (FUNCTION, "method")}
    assert defs(model) == {"Product": (CLASS, "record"), "Product.PriceCents": (FUNCTION, "method"),
                           "IPriced": (CLASS, "interface"), "IPriced.PriceCents": (FUNCTION, "method"),
                           "Basket": (CLASS, "class"), "Category": (CLASS, "enum"), "Money": (CLASS, "struct")}
    assert model.doc == "A product of the catalog."  # after a file-scoped namespace

    assert list(imports(cart)) == ["System", "System.Collections.Generic", "Acme.Shop.Model",
                                   "Acme.Shop.Util.PriceFormatter"]
    # `using static` names a type, in the folder of its namespace below the project folder named after the
    # namespace's root (`Acme.Shop/Util/`); a namespace names no file
    assert resolve("csharp", CSHARP + "Cart.cs", "Acme.Shop.Util.PriceFormatter") == [CSHARP + "Util/PriceFormatter.cs"]
    assert resolve("csharp", CSHARP + "Cart.cs", "Acme.Shop.Model") == []
    assert resolve("csharp", CSHARP + "Cart.cs", "System.Collections.Generic") == []

    assert {("Cart.Add", "Product"), ("Cart.Label", "Format"), ("Cart.Label", "PriceCents")} <= calls(cart)
    assert ("Cart", "List") in calls(cart)  # `new List<Product>()` in a field initializer
    assert inherits(cart) == {("Cart", "Basket"), ("Cart", "IPriced")}
    assert inherits(model) == {("Product", "IPriced")}


# --- Kotlin -----------------------------------------------------------------------------------

KOTLIN = "src/main/kotlin/com/acme/shop/"


def test_kotlin():
    files = parsed("kotlin")
    cart, model = files[KOTLIN + "Cart.kt"], files[KOTLIN + "model/Product.kt"]
    fmt = files[KOTLIN + "util/PriceFormatter.kt"]

    assert cart.doc == "A shopping cart: the products a customer is about to buy."  # license skipped
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.priceCents": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method")}
    assert doc_of(cart, "Cart.priceCents") == "The sum of all item prices, in cents."
    assert defs(model) == {"Product": (CLASS, "class"), "Product.priceCents": (FUNCTION, "method"),
                           "Priced": (CLASS, "interface"), "Priced.priceCents": (FUNCTION, "method"),
                           "Basket": (CLASS, "class")}
    assert defs(fmt) == {"PriceFormatter": (CLASS, "object"), "PriceFormatter.format": (FUNCTION, "method")}
    assert doc_of(fmt, "PriceFormatter.format") == 'Formats cents as dollars, e.g. 1999 -> "$19.99".'

    assert list(imports(cart)) == ["com.acme.shop.model.Basket", "com.acme.shop.model.Priced",
                                   "com.acme.shop.model.Product", "com.acme.shop.util.PriceFormatter.format",
                                   "kotlin.collections.ArrayList"]  # the alias (`as formatCents`) left out
    assert resolve("kotlin", KOTLIN + "Cart.kt", "com.acme.shop.util.PriceFormatter.format") \
        == [KOTLIN + "util/PriceFormatter.kt"]  # a member of an object, as Java's static import
    # a file holding several declarations is found by the one it is named after only
    assert resolve("kotlin", KOTLIN + "Cart.kt", "com.acme.shop.model.Product") == [KOTLIN + "model/Product.kt"]
    assert resolve("kotlin", KOTLIN + "Cart.kt", "kotlin.collections.ArrayList") == []
    wildcard = Import("com.acme.shop.model.*")
    assert BY_NAME["kotlin"].resolve_import(KOTLIN + "Cart.kt", wildcard, RepoFiles.of(files)) \
        == [KOTLIN + "model/Product.kt"]

    assert {("Cart.add", "Product"), ("Cart.add", "add"), ("Cart.label", "priceCents")} <= calls(cart)
    assert inherits(cart) == {("Cart", "Basket"), ("Cart", "Priced")}
    assert inherits(model) == {("Product", "Priced")}


def test_a_cpp_namespace_is_code_not_a_preamble():
    """PHP's `namespace A\\B;` heads a file as a package line does; C++'s namespace of the same node type
    holds the code: the comment closing it is no summary of the file (nlohmann's test_utils.hpp was
    "namespace utils" while PHP's namespace was taken for a preamble in every language)."""
    source = (b"// SPDX-License-Identifier: MIT\n\n#pragma once\n#include <cstdio>\n\nnamespace utils\n{\n"
              b"inline bool downloaded() { return true; }\n}  // namespace utils\n")
    assert file_doc("cpp", "tests/src/test_utils.hpp", source.decode()) == ""
    php = "<?php\n\nnamespace Acme\\Shop;\n\n/** A shopping cart. */\nclass Cart {}\n"
    assert file_doc("php", "src/Basket.php", php) == "A shopping cart."


# --- Swift ------------------------------------------------------------------------------------

SWIFT = "Sources/Shop/"


def test_swift():
    files = parsed("swift")
    cart, model = files[SWIFT + "Cart.swift"], files[SWIFT + "Model/Product.swift"]

    # Xcode's header (file name, target, copyright) is no summary; the class's doc after the imports is
    assert cart.doc == "A shopping cart: the products a customer is about to buy."
    # an extension's functions are its type's methods
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.priceCents": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method")}
    assert doc_of(cart, "Cart.label") == "The total as a label for the receipt."
    # struct, enum and class are one node type, told apart by their keyword
    assert defs(model) == {"Product": (CLASS, "struct"), "Priced": (CLASS, "interface"),
                           "Priced.priceCents": (FUNCTION, "method"), "Basket": (CLASS, "class"),
                           "Category": (CLASS, "enum")}
    assert doc_of(files[SWIFT + "Util/PriceFormatter.swift"], "PriceFormatter.format") \
        == 'Formats cents as dollars, e.g. 1999 -> "$19.99".'

    assert imports(cart) == {"Foundation": ()}
    assert resolve("swift", SWIFT + "Cart.swift", "Foundation") == []  # a module, not a file

    assert {("Cart.add", "Product"), ("Cart.label", "format"), ("Cart.label", "priceCents")} <= calls(cart)
    assert inherits(cart) == {("Cart", "Basket"), ("Cart", "Priced")}


# --- Scala ------------------------------------------------------------------------------------

SCALA = "src/main/scala/com/acme/shop/"


def test_scala():
    files = parsed("scala")
    cart, model = files[SCALA + "Cart.scala"], files[SCALA + "model/Product.scala"]

    assert cart.doc == "A shopping cart: the products a customer is about to buy."  # license skipped
    # a class and its companion object are one name: the object's methods join the class's
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.priceCents": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method"),
                          "Cart.empty": (FUNCTION, "method")}
    assert defs(model) == {"Product": (CLASS, "class"), "Priced": (CLASS, "trait"),
                           "Priced.priceCents": (FUNCTION, "method"), "Basket": (CLASS, "class")}
    assert defs(files[SCALA + "util/PriceFormatter.scala"]) == {"PriceFormatter": (CLASS, "object"),
                                                                "PriceFormatter.format": (FUNCTION, "method")}

    assert list(imports(cart)) == ["com.acme.shop.model.{Basket,Priced,Product=>Item}",
                                   "com.acme.shop.util.PriceFormatter", "scala.collection.mutable"]
    # each name of a selector below its prefix; three names, one file
    assert resolve("scala", SCALA + "Cart.scala", "com.acme.shop.model.{Basket,Priced,Product=>Item}") \
        == [SCALA + "model/Product.scala"]
    assert resolve("scala", SCALA + "Cart.scala", "com.acme.shop.util.PriceFormatter") == [SCALA + "util/PriceFormatter.scala"]
    assert resolve("scala", SCALA + "Cart.scala", "scala.collection.mutable") == []
    wildcard = Import("com.acme.shop.util._")
    assert BY_NAME["scala"].resolve_import(SCALA + "Cart.scala", wildcard, RepoFiles.of(files)) \
        == [SCALA + "util/PriceFormatter.scala"]

    assert {("Cart.add", "Item"), ("Cart.label", "format"), ("Cart.empty", "Cart")} <= calls(cart)
    assert inherits(cart) == {("Cart", "Basket"), ("Cart", "Priced")}
    assert inherits(model) == {("Product", "Priced")}


# --- grammars and interface definitions (graph/parse_text.py) -----------------------------------

def test_a_protobuf_file():
    source = b'''// Copyright 2024 Acme. Licensed under the Apache License, Version 2.0.

syntax = "proto3";

// Carts and what is in them.
package shop.v1;

import "google/protobuf/timestamp.proto";
import "shop/v1/product.proto";

// A customer's cart.
message Cart {
  // One line of the cart.
  message Line {
    Product product = 1;  // what is bought
  }
  repeated Line lines = 1;
  enum State { OPEN = 0; PAID = 1; }
  string note = 2;  // "message Fake {" in a string or a comment defines nothing
}

/* The cart service. */
service Carts {
  rpc Add(AddRequest) returns (Cart) { option (google.api.http) = { post: "/v1/carts" }; }
  // Pays for a cart.
  rpc Pay(PayRequest) returns (Cart);
}
'''
    fs = parse_source("proto/shop/v1/cart.proto", source, BY_NAME["protobuf"], "0")
    assert fs.doc == "Carts and what is in them."  # the license skipped; not the doc right above `message Cart`
    assert {d.qualname: (d.kind, d.subkind, d.start_line, d.end_line) for d in fs.definitions} == {
        "Cart": (CLASS, "message", 12, 20), "Cart.Line": (CLASS, "message", 14, 16), "Cart.State": (CLASS, "enum", 18, 18),
        "Carts": (CLASS, "service", 23, 27), "Carts.Add": (FUNCTION, "method", 24, 24), "Carts.Pay": (FUNCTION, "method", 26, 26)}
    assert doc_of(fs, "Cart") == "A customer's cart."
    assert doc_of(fs, "Cart.Line") == "One line of the cart."
    assert doc_of(fs, "Carts") == "The cart service."
    assert doc_of(fs, "Carts.Pay") == "Pays for a cart."
    files = RepoFiles.of(["proto/shop/v1/cart.proto", "proto/shop/v1/product.proto"])
    assert [BY_NAME["protobuf"].resolve_import(fs.path, i, files) for i in fs.imports] == [[], ["proto/shop/v1/product.proto"]]


def test_a_yacc_grammar_and_a_lex_scanner():
    grammar = b'''%{
/* Parse the query language. */
#include <stdio.h>
%}
%token IDENT
%%
/* A whole query. */
Query:
  Term { $$ = $1; }
| Query '|' Term { $$ = gen_pipe($1, $3); }
;

Term: IDENT { if (x) {
done:
  ;
} }
;
%%
int main(void) { return 0; }
'''
    fs = parse_source("src/parser.y", grammar, BY_NAME["yacc"], "0")
    assert [(d.qualname, d.subkind, d.start_line, d.end_line) for d in fs.definitions] == \
        [("Query", "rule", 8, 12), ("Term", "rule", 13, 17)]  # not `done:` in an action's C
    assert doc_of(fs, "Query") == "A whole query."
    assert fs.doc == ""  # the prologue's comment is about its C, not the file
    assert parse_source("src/lexer.l", b"/* The query language's tokens. */\n%%\n[a-z]+ { return IDENT; }\n",
                        BY_NAME["lex"], "0").doc == "The query language's tokens."


def test_an_antlr_grammar():
    source = b'''/*
  After changing this file, run the generator again.
*/

parser grammar ShopParser;

options { tokenVocab = ShopLexer; }
import Common;

// A whole order.
order
    : line+ EOF
    ;

line: ITEM COUNT? ;
'''
    fs = parse_source("grammar/ShopParser.g4", source, BY_NAME["antlr"], "0")
    assert fs.doc == "After changing this file, run the generator again."
    assert [(d.qualname, d.subkind) for d in fs.definitions] == \
        [("ShopParser", "grammar"), ("ShopParser.order", "rule"), ("ShopParser.line", "rule")]
    assert doc_of(fs, "ShopParser.order") == "A whole order."
    files = RepoFiles.of(["grammar/ShopParser.g4", "grammar/ShopLexer.g4", "grammar/Common.g4"])
    assert sorted(p for i in fs.imports for p in BY_NAME["antlr"].resolve_import(fs.path, i, files)) == \
        ["grammar/Common.g4", "grammar/ShopLexer.g4"]


# --- single-file components -------------------------------------------------------------------

def test_vue_and_svelte_components_are_read_by_their_scripts():
    """A `.vue` or `.svelte` file's `<script>` blocks are TypeScript (or JavaScript) at their own lines;
    the template and styles are left out of the parse (not of the text that search reads)."""
    vue = b'''<template>
  <button @click="add(product)">Add to cart</button>
</template>

<script setup lang="ts">
// The cart's "add" button.
import { useCart } from '../stores/cart'
import PriceTag from './PriceTag.vue'

/** Puts the product in the cart. */
function add(product: Product) {
  useCart().add(product)
}
</script>

<style scoped>
button { color: red; }
</style>
'''
    fs = parse_source("src/components/AddButton.vue", vue, BY_NAME["vue"], "0")
    assert fs.language == "vue" and fs.syntax_errors == 0
    assert [(d.qualname, d.kind, d.start_line) for d in fs.definitions] == [("add", FUNCTION, 11)]
    assert doc_of(fs, "add") == "Puts the product in the cart."
    assert fs.doc == "The cart's \"add\" button."
    assert ("add", "useCart") in calls(fs)
    files = RepoFiles.of(["src/components/AddButton.vue", "src/components/PriceTag.vue", "src/stores/cart.ts"])
    assert sorted(p for i in fs.imports for p in BY_NAME["vue"].resolve_import(fs.path, i, files)) == \
        ["src/components/PriceTag.vue", "src/stores/cart.ts"]

    svelte = b'<script context="module">\n  export function total(items) { return items.length; }\n</script>\n\n<p>{total(items)}</p>\n'
    fs = parse_source("src/Cart.svelte", svelte, BY_NAME["svelte"], "0")
    assert [(d.qualname, d.start_line) for d in fs.definitions] == [("total", 2)]


def test_a_components_plain_script_is_javascript_with_jsx():
    """vue-element-admin's Sidebar/Item.vue: a plain `<script>` with a JSX render function, parsed as
    TypeScript, had syntax errors and no definitions."""
    vue = b"""<script>
export default {
  name: 'MenuItem',
  render(h, context) {
    const vnodes = []
    vnodes.push(<svg-icon icon-class={context.props.icon}/>)
    return vnodes
  }
}
</script>
"""
    fs = parse_source("src/layout/components/Sidebar/Item.vue", vue, BY_NAME["vue"], "0")
    assert fs.syntax_errors == 0 and "render" in {d.name for d in fs.definitions}
    typed = b'<script lang="ts">\nexport function total(items: Item[]): number { return items.length }\n</script>\n'
    fs = parse_source("src/Cart.vue", typed, BY_NAME["vue"], "0")
    assert fs.syntax_errors == 0 and [d.qualname for d in fs.definitions] == ["total"]


# --- Objective-C ------------------------------------------------------------------------------

def test_objective_c():
    files = parsed("objc")
    header, impl = files["Shop/Cart.h"], files["Shop/Cart.m"]
    assert header.language == "objc" and impl.language == "objc"  # a `.h` with an @interface is Objective-C
    assert files["Shop/PriceFormatter.h"].language == "c"  # one with only C in it is C

    assert header.doc == "A shopping cart: the products a customer is about to buy."
    assert impl.doc == ""  # Xcode's template header (the file's name, the target) is no summary
    # a method by the first part of its selector; the doc above it, in the header and in `@implementation`
    assert defs(impl) == {"ShopCart": (CLASS, "class"), "ShopCart.addProduct": (FUNCTION, "method"),
                          "ShopCart.priceCents": (FUNCTION, "method"), "ShopCart.label": (FUNCTION, "method")}
    assert doc_of(header, "ShopCart.addProduct") == "Puts a product in the cart."
    assert doc_of(impl, "ShopCart.label") == "The total as a label for the receipt."
    assert defs(files["Shop/Model/Product.h"]) == {"ShopPriced": (CLASS, "interface"),
                                                   "ShopPriced.priceCents": (FUNCTION, "method"),
                                                   "ShopProduct": (CLASS, "class")}
    assert defs(files["Shop/PriceFormatter.m"]) == {"ShopFormatPrice": (FUNCTION, "function")}  # C in a `.m`

    assert resolve("objc", "Shop/Cart.h", "Model/Product.h") == ["Shop/Model/Product.h"]
    assert resolve("objc", "Shop/Cart.m", "Cart.h") == ["Shop/Cart.h"]
    assert resolve("objc", "Shop/Cart.h", "<Foundation/Foundation.h>") == []
    # a message sent is a call, as a C call is
    assert {("ShopCart.label", "ShopFormatPrice"), ("ShopCart.label", "priceCents"),
            ("ShopCart.addProduct", "addObject")} <= calls(impl)
    assert inherits(header) == {("ShopCart", "NSObject"), ("ShopCart", "ShopPriced")}


def test_a_matlab_m_file_is_not_objective_c(tmp_path):
    """Scientific repositories keep MATLAB `.m` files beside their code: not indexed, as any other file
    of a language rag does not read."""
    from graph.walk import walk

    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "cart.py").write_text('"""A shopping cart."""\n')
    (tmp_path / "shop" / "total.m").write_text("% Sums up a cart.\nfunction t = total(prices)\n  t = sum(prices);\nend\n")
    (tmp_path / "shop" / "Cart.m").write_text('#import "Cart.h"\n@implementation Cart\n@end\n')
    found = {f.path: f.language for f in walk(str(tmp_path)).files if f.kind == "source"}
    assert found == {"shop/cart.py": "python", "shop/Cart.m": "objc"}


# --- Dart -------------------------------------------------------------------------------------

def test_dart():
    files = parsed("dart")
    cart, model = files["lib/src/cart.dart"], files["lib/src/model/product.dart"]

    # the license above the imports is no summary; the class the file is named after speaks for it;
    # constructors are no definitions, getters are methods, an abstract member's signature is one
    assert cart.doc == "A shopping cart: the products a customer is about to buy."
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method"),
                          "Cart.label": (FUNCTION, "method"), "Cart.compareTo": (FUNCTION, "method"),
                          "mergeCarts": (FUNCTION, "function")}
    assert doc_of(cart, "Cart.add") == "Puts a product in the cart."  # above its `@override`
    assert defs(model) == {"Product": (CLASS, "class"), "Basket": (CLASS, "class"), "Basket.count": (FUNCTION, "method"),
                           "Shipping": (CLASS, "enum"), "Weighed": (CLASS, "mixin"), "Weighed.grams": (FUNCTION, "method"),
                           "Prices": (CLASS, "extension"), "Prices.totalCents": (FUNCTION, "method")}
    assert model.doc == "Products of the catalog, and what holds them."  # the library's doc
    assert files["lib/shop.dart"].doc == "The shop's public API: the cart and the catalog model."

    assert list(imports(cart)) == ["dart:collection", "package:meta/meta.dart",
                                   "package:shop/src/util/price_formatter.dart", "model/product.dart"]
    assert resolve("dart", "lib/src/cart.dart", "model/product.dart") == ["lib/src/model/product.dart"]
    assert resolve("dart", "lib/src/cart.dart", "package:shop/src/util/price_formatter.dart") \
        == ["lib/src/util/price_formatter.dart"]  # the package's own `lib/`
    assert resolve("dart", "lib/src/cart.dart", "package:meta/meta.dart") == []  # another package
    assert resolve("dart", "lib/src/cart.dart", "dart:collection") == []
    assert resolve("dart", "lib/shop.dart", "src/cart.dart") == ["lib/src/cart.dart"]  # an export

    assert {("Cart.add", "Product"), ("Cart.add", "add"), ("Cart.label", "formatPrice"),
            ("mergeCarts", "of")} <= calls(cart)
    assert inherits(cart) == {("Cart", "Basket"), ("Cart", "ListMixin"), ("Cart", "Comparable")}
    assert inherits(model) == {("Weighed", "Product")}


def test_dart_packages_of_a_monorepo_resolve_to_their_own_lib():
    files = RepoFiles.of(["dio/lib/dio.dart", "dio/lib/src/options.dart", "plugins/cookie_manager/lib/cookie_manager.dart",
                          "lib/dio.dart"])
    imp = Import("package:dio/src/options.dart")
    assert BY_NAME["dart"].resolve_import("plugins/cookie_manager/lib/cookie_manager.dart", imp, files) \
        == ["dio/lib/src/options.dart"]


# --- Lua --------------------------------------------------------------------------------------

def test_lua():
    files = parsed("lua")
    cart, product = files["lua/shop/cart.lua"], files["lua/shop/model/product.lua"]
    fmt = files["lua/shop/util/price_formatter.lua"]

    # a table named as a class is one, and the functions declared on it its methods (`Cart.new`,
    # `Cart:add`); a module's own table (`local M = {}`) is not, its functions stand alone
    assert defs(cart) == {"Cart": (CLASS, "class"), "Cart.new": (FUNCTION, "method"),
                          "Cart.add": (FUNCTION, "method"), "Cart.label": (FUNCTION, "method"),
                          "encode": (FUNCTION, "function")}
    assert defs(product) == {"new": (FUNCTION, "function")}
    assert defs(fmt) == {"format": (FUNCTION, "function")}  # `M.format = function(cents) … end`
    # LuaDoc's `---` opens a comment and its `@param`, `@class` tags are no prose; `--[[ … ]]` is a comment
    assert doc_of(cart, "Cart") == "A shopping cart: the products a customer is about to buy."
    assert doc_of(cart, "Cart.add") == "Puts a product in the cart."
    assert doc_of(cart, "Cart.label") == "The total as a label for the receipt."
    assert product.doc == "A product of the catalog, priced in cents."
    assert files["lua/shop/init.lua"].doc == "The shop's entry point: the cart and the catalog model."
    # the license is no summary, the class the file is named after is; below the module's requires and
    # table, a function's LuaDoc is that function's, not the module's (telescope's __files.lua read
    # "Special keys: opts.search_dirs", the doc of live_grep: sweep 15)
    assert cart.doc == "A shopping cart: the products a customer is about to buy."
    assert fmt.doc == ""

    assert list(imports(cart)) == ["cjson", "shop.model.product", "shop.util.price_formatter"]
    assert resolve("lua", "lua/shop/init.lua", "shop.cart") == ["lua/shop/cart.lua"]
    assert resolve("lua", "lua/shop/init.lua", "shop.model.product") == ["lua/shop/model/product.lua"]  # no parens
    assert resolve("lua", "lua/shop/cart.lua", "cjson") == []  # a rock
    assert BY_NAME["lua"].resolve_import("a.lua", Import("shop"), RepoFiles.of(["lua/shop/init.lua"])) \
        == ["lua/shop/init.lua"]

    assert {("Cart.add", "new"), ("Cart.add", "insert"), ("Cart.label", "format")} <= calls(cart)


def test_a_lua_class_with_a_base():
    fs = parse_source("a.lua", b"local Base = require('base')\nlocal Cart = setmetatable({}, Base)\n"
                               b"function Cart:add(p) end\n", BY_NAME["lua"], "0")
    assert defs(fs) == {"Cart": (CLASS, "class"), "Cart.add": (FUNCTION, "method")}
    assert inherits(fs) == {("Cart", "Base")}


def test_dashes_that_open_a_comment_and_dashes_that_rule_it():
    assert clean_comment("--- Finds files.\n---@param opts table") == "Finds files."
    assert clean_comment("--[==[\n  Long comment ]] still.\n]==]") == "Long comment ]] still."
    # four dashes are a ruler under a title, in any language's comment
    assert clean_comment("/*\n Title\n ----\n More words here.\n*/") == "Title. More words here."


# --- Elixir -----------------------------------------------------------------------------------

def test_elixir():
    files = parsed("elixir")
    cart, model = files["lib/shop/cart.ex"], files["lib/shop/model/product.ex"]

    # a module is class-like, named by its last part (what `use` and `@behaviour` name it by), its
    # functions its methods; `@moduledoc` and `@doc` are the docs, `@doc false` hides one, `@spec` between
    assert defs(cart) == {"Shop.Cart": (CLASS, "module"), "Shop.Cart.new": (FUNCTION, "method"),
                          "Shop.Cart.add": (FUNCTION, "method"), "Shop.Cart.label": (FUNCTION, "method"),
                          "Shop.Cart.count": (FUNCTION, "method")}
    assert [d.name for d in cart.definitions][:2] == ["Cart", "new"]
    assert cart.doc == doc_of(cart, "Shop.Cart") == "A shopping cart: the products a customer is about to buy."
    assert doc_of(cart, "Shop.Cart.new") == "An empty cart."
    assert doc_of(cart, "Shop.Cart.add") == "Puts a product in the cart."
    assert doc_of(cart, "Shop.Cart.label") == ""
    assert files["lib/shop.ex"].doc == "The shop's entry point: the cart and the catalog model."  # not its examples
    assert {"Shop.Model.Product", "Shop.Model.Basket"} <= set(defs(model))
    # with `@moduledoc false` the comment above the module speaks for it
    assert files["lib/shop/util/price_formatter.ex"].doc == 'Formats prices in cents as dollars, e.g. 1999 -> "$19.99".'

    assert imports(cart) == {"Shop.Model.Basket": (), "Shop.Model.Product": (), "Shop.Util": ("PriceFormatter", "Rounding"),
                             "Enum": (), "Logger": ()}
    assert resolve("elixir", "lib/shop/cart.ex", "Shop.Model.Product") == ["lib/shop/model/product.ex"]
    assert resolve("elixir", "lib/shop/cart.ex", "Shop.Util", ("PriceFormatter", "Rounding")) \
        == ["lib/shop/util/price_formatter.ex"]
    assert resolve("elixir", "lib/shop/cart.ex", "Logger") == []  # the standard library's
    phoenix = RepoFiles.of(["lib/my_app_web/controllers/page_controller.ex", "lib/my_app_web/router.ex"])
    assert BY_NAME["elixir"].resolve_import("lib/my_app_web/router.ex", Import("MyAppWeb.PageController"), phoenix) \
        == ["lib/my_app_web/controllers/page_controller.ex"]

    # special forms, attributes, field reads and the function's own head are no calls
    assert calls(cart) >= {("Shop.Cart.add", "debug"), ("Shop.Cart.add", "new"), ("Shop.Cart.label", "format"),
                           ("Shop.Cart.label", "sum")}
    assert not {name for _, name in calls(cart)} & {"def", "defp", "alias", "doc", "moduledoc", "add", "name", "items"}
    assert inherits(cart) == {("Shop.Cart", "Shop.Model.Basket"), ("Shop.Cart", "Access")}


# --- found by a user's sweep of the languages added in 0.1.36 --------------------------------------

def test_a_statement_recovered_as_a_definition_is_none():
    """Newtonsoft.Json: a `#if` between `else if` branches made tree-sitter-c-sharp recover a local
    function named `if` (21 of them; `JsonArrayContract.if (line 210)` was evidence). Where the word is
    not reserved it is a name: Ruby's `def self.for`."""
    contract = b"""class Contract
{
    public Contract(Type t)
    {
        if (t.IsArray)
        {
            A();
        }
#if HAVE_READ_ONLY
        else if (t.IsReadOnly)
        {
            B();
        }
#endif
        else if (t.IsList(out Type item))
        {
            C(item);
        }
    }
}
"""
    assert list(defs(parse_source("Contract.cs", contract, BY_NAME["csharp"], "0"))) == ["Contract"]
    ruby = parse_source("list.rb", b"class List\n  def self.for(x)\n    new(x)\n  end\nend\n", BY_NAME["ruby"], "0")
    assert list(defs(ruby)) == ["List", "List.for"]


def test_a_comment_at_the_end_of_an_import_line_is_no_header():
    """rack's deflater.rb read "for Time.httpdate." (`require "time"  # for Time.httpdate`)."""
    source = (b'require "zlib"\nrequire "time"  # for Time.httpdate\n\nmodule Rack\n'
              b"  # This middleware compresses responses.\n  class Deflater\n    def call(env); end\n  end\nend\n")
    assert parse_source("lib/rack/deflater.rb", source, BY_NAME["ruby"], "0").doc == "This middleware compresses responses."


def test_a_comment_on_a_constant_below_the_imports_is_not_the_files():
    """moshi's KotlinJsonAdapterFactory.kt read "Classes annotated with this are eligible for this
    adapter.", the comment on a `private val` below its imports; a class's doc there still speaks."""
    kotlin = (b"package com.acme\n\nimport kotlin.reflect.KClass\n\n/** Classes annotated with this are eligible. */\n"
              b"private val KOTLIN_METADATA = Metadata::class.java\n\n/** Makes adapters of Kotlin classes. */\n"
              b"class KotlinJsonAdapterFactory : Factory {\n  fun create() = 1\n}\n")
    assert parse_source("KotlinJsonAdapterFactory.kt", kotlin, BY_NAME["kotlin"], "0").doc == "Makes adapters of Kotlin classes."
    go = b'package mux\n\nimport "errors"\n\n// ErrNotFound is returned when no route matches.\nvar ErrNotFound = errors.New("no")\n'
    assert parse_source("errors.go", go, BY_NAME["go"], "0").doc == ""
    assert file_doc("kotlin", "Cart.kt", "package a\n\nimport b.C\n\n/** A cart. */\nclass Cart\n") == "A cart."


def test_a_ruby_module_whose_methods_are_in_class_self_is_class_like():
    """rack's multipart.rb listed parse_multipart, extract_multipart as top-level functions, no Multipart."""
    source = (b"module Rack\n  # A multipart form data parser.\n  module Multipart\n    class << self\n"
              b"      def parse_multipart(env); end\n    end\n  end\n  module Util\n    private def helper; end\n  end\nend\n")
    fs = parse_source("lib/rack/multipart.rb", source, BY_NAME["ruby"], "0")
    assert defs(fs) == {"Multipart": (CLASS, "module"), "Multipart.parse_multipart": (FUNCTION, "method"),
                        "Util": (CLASS, "module"), "Util.helper": (FUNCTION, "method")}
    assert fs.doc == "A multipart form data parser."


def test_swifts_project_banner_and_section_marks_are_no_documentation():
    """swift-argument-parser: 97 of 121 summaries were "This source file is part of the Swift Argument
    Parser open source project"; `// MARK: - Parsing` labels a section."""
    source = ("//===----------------------------------------------------------*- swift -*-===//\n//\n"
              "// This source file is part of the Swift Argument Parser open source project\n//\n"
              "// Copyright (c) 2020 Apple Inc. and the Swift project authors\n//\n"
              "//===----------------------------------------------------------------------===//\n\n"
              "// MARK: - Parsing\n\n/// A nested tree of argument definitions.\nstruct ArgumentSet {}\n")
    assert file_doc("swift", "Sources/ArgumentSet.swift", source) == "A nested tree of argument definitions."


def test_csharps_conditional_compilation_is_read_as_its_first_branch():
    """Newtonsoft.Json's JsonTextReader.cs: two base lists and two method openings side by side under
    `#if`/`#else` lost the class, and 62 methods became top-level functions (42 files with syntax errors
    of 945; 5 read so)."""
    source = b"""namespace Shop
{
    /// <summary>A cart.</summary>
#if HAVE_ASYNC
    public partial class Cart : Basket, IAsyncDisposable
#else
    public partial class Cart : Basket
#endif
    {
        /// <summary>Adds a product.</summary>
#if HAVE_SPAN
        public void Add(ReadOnlySpan<char> name)
        {
#else
        public void Add(string name)
        {
#endif
            Items.Add(name);
        }

        public int Count() => Items.Count;
    }
}
"""
    fs = parse_source("Src/Shop/Cart.cs", source, BY_NAME["csharp"], "0")
    assert fs.syntax_errors == 0
    assert defs(fs) == {"Cart": (CLASS, "class"), "Cart.Add": (FUNCTION, "method"), "Cart.Count": (FUNCTION, "method")}
    assert [d.start_line for d in fs.definitions] == [5, 12, 21]  # lines as written, the first branch
    assert doc_of(fs, "Cart") == "A cart." and doc_of(fs, "Cart.Add") == "Adds a product."
    assert inherits(fs) == {("Cart", "Basket"), ("Cart", "IAsyncDisposable")}


def test_imports_of_a_workspaces_own_packages():
    """TanStack Query (sweep 16): 865 imports of `@tanstack/…` sibling packages gave 8 edges, all from tests;
    tokenizers' Python bindings `use tokenizers::…` of the workspace's core crate, none."""
    files = RepoFiles.of(["packages/query-core/src/index.ts", "packages/query-core/src/queryObserver.ts",
                          "packages/react-query/src/useBaseQuery.ts", "packages/eslint-plugin/index.js",
                          "tokenizers/src/lib.rs", "tokenizers/src/models/bpe/mod.rs", "tokenizers/src/models/mod.rs",
                          "bindings/python/src/lib.rs", "bindings/python/src/models.rs", "bindings/python/src/tokenizers.rs"],
                         PackageFolders(npm={"@tanstack/query-core": "packages/query-core", "eslint-plugin-query": "packages/eslint-plugin"},
                                        cargo={"tokenizers": "tokenizers", "tokenizers_python": "bindings/python"}))
    js = BY_NAME["typescript"].resolve_import
    hook = "packages/react-query/src/useBaseQuery.ts"
    assert js(hook, Import("@tanstack/query-core"), files) == ["packages/query-core/src/index.ts"]
    assert js(hook, Import("@tanstack/query-core/build/modern/queryObserver.js"), files) == ["packages/query-core/src/queryObserver.ts"]
    assert js(hook, Import("eslint-plugin-query"), files) == ["packages/eslint-plugin/index.js"]  # no src/: its own index
    assert js(hook, Import("react"), files) == [] and js(hook, Import("@tanstack/react-store"), files) == []
    rust = BY_NAME["rust"].resolve_import
    assert rust("bindings/python/src/models.rs", Import("tokenizers::models::bpe", ("BPE",)), files) == ["tokenizers/src/models/bpe/mod.rs"]
    assert rust("bindings/python/src/models.rs", Import("tokenizers::Tokenizer"), files) == ["tokenizers/src/lib.rs"]
    # a child module of the importing crate named like a workspace crate is the child
    assert rust("bindings/python/src/lib.rs", Import("tokenizers::Tokenizer"), files) == ["bindings/python/src/tokenizers.rs"]
    assert rust("bindings/python/src/models.rs", Import("serde::Serialize"), files) == []
    stub = RepoFiles.of(["py_src/tokenizers/__init__.py", "py_src/tokenizers/tokenizers.pyi", "py_src/tokenizers/tools/__init__.py"])
    python = BY_NAME["python"].resolve_import  # the PyO3 module is built, only its stub is in the tree
    assert python("py_src/tokenizers/__init__.py", Import(".tokenizers", ("Tokenizer",)), stub) == ["py_src/tokenizers/tokenizers.pyi"]
    assert python("py_src/tokenizers/__init__.py", Import(".tools", ("Visualizer",)), stub) == ["py_src/tokenizers/tools/__init__.py"]


def test_a_workspaces_manifests_name_its_packages_when_indexing(tmp_path):
    """package.json and Cargo.toml are read as go.mod is: an index links the packages' imports, and an
    edited manifest makes the index stale."""
    from graph.indexer import IndexOptions, check, index, load_graph
    from graph.store import IndexStore

    core, react = tmp_path / "packages" / "core", tmp_path / "packages" / "react"
    (core / "src").mkdir(parents=True)
    (react / "src").mkdir(parents=True)
    (core / "package.json").write_text('{"name": "@acme/core", "version": "1.0.0"}')
    (react / "package.json").write_text('{"name": "@acme/react"}')
    (core / "src" / "index.ts").write_text("export function createCache() { return new Map() }\n")
    (react / "src" / "useCache.ts").write_text("import { createCache } from '@acme/core'\n\nexport function useCache() { return createCache() }\n")
    report = index(str(tmp_path), IndexOptions())
    g = load_graph(IndexStore(report.index_dir))
    assert ("packages/react/src/useCache.ts", "packages/core/src/index.ts", "imports") in set(g.edges(keys=True))
    assert any(u.startswith("packages/react/src/useCache.ts") and v == "packages/core/src/index.ts::createCache"
               for u, v, k in g.edges(keys=True) if k == "calls")  # the call resolves through the import
    assert not check(str(tmp_path)).stale
    (core / "package.json").write_text('{"name": "@acme/kernel"}')
    assert check(str(tmp_path)).stale


def test_a_rust_comment_on_an_inner_attribute_is_not_the_files():
    """tokenizers' Python bindings: lib.rs, and so its folder, read "Many false positives with pyo3 it seems",
    the comment explaining a `#![allow(clippy::…)]` (sweep 16). A `//!` doc above the attribute stays."""
    source = (b"// Many false positives with pyo3 it seems &str, and &PyAny get flagged\n#![allow(clippy::borrow_deref_ref)]\n\n"
              b"extern crate tokenizers as tk;\n\n/// The module.\n#[pymodule]\npub fn tokenizers() {}\n")
    assert parse_source("bindings/python/src/lib.rs", source, BY_NAME["rust"], "0").doc == ""
    documented = b"//! Python bindings of the tokenizers.\n#![allow(clippy::borrow_deref_ref)]\n\npub fn f() {}\n"
    assert parse_source("bindings/python/src/lib.rs", documented, BY_NAME["rust"], "0").doc == "Python bindings of the tokenizers."


def test_a_comment_on_a_re_export_is_not_the_files():
    """TanStack Query (sweep 16): four packages' `src/index.ts`, and so their folders, read "Re-export core.",
    the comment over `export * from '@tanstack/query-core'`."""
    barrel = (b"/* istanbul ignore file */\n\n// Re-export core\nexport * from '@tanstack/query-core'\n\n"
              b"// React Query\nexport * from './types'\nexport { useQuery } from './useQuery'\n")
    assert parse_source("packages/react-query/src/index.ts", barrel, BY_NAME["typescript"], "0").doc == ""
    documented = b"/** Hooks of React Query. */\n\nexport * from './types'\n"
    assert parse_source("packages/react-query/src/index.ts", documented, BY_NAME["typescript"], "0").doc == "Hooks of React Query."


def test_a_java_annotation_on_varargs():
    """spring-framework (sweep 16): `@Nullable Object @Nullable ... args` (JSpecify) was a syntax error in 61
    files on every run."""
    source = (b"package org.springframework.jdbc.core;\n\n/** Runs SQL. */\npublic class JdbcTemplate {\n"
              b"    /** Queries with arguments. */\n    public <T> T query(String sql, @Nullable Object @Nullable ... args) {\n"
              b"        return execute(sql, args);\n    }\n\n    public int update(String sql) { return 0; }\n}\n")
    fs = parse_source("spring-jdbc/src/main/java/org/springframework/jdbc/core/JdbcTemplate.java", source, BY_NAME["java"], "0")
    assert fs.syntax_errors == 0
    assert defs(fs) == {"JdbcTemplate": (CLASS, "class"), "JdbcTemplate.query": (FUNCTION, "method"),
                        "JdbcTemplate.update": (FUNCTION, "method")}
    assert doc_of(fs, "JdbcTemplate.query") == "Queries with arguments."


def test_a_kotlin_primary_constructor_on_the_line_below_its_nested_class():
    """moshi's JsonReader.kt: `public class Options` with `private constructor(` on the next line, nested in
    `JsonReader`, made the rest of the file one ERROR node: the class and 5 of its 32 definitions lost, the
    rest top-level functions. Dagger's `@Inject internal constructor` broke a top-level class the same way."""
    source = b"""package com.acme.shop

/** Reads a cart. */
public sealed class CartReader {
  /** The names to choose from. */
  public class Options
  private constructor(
    internal val names: Array<out String>,
  ) {
    /** A copy of the names. */
    public fun names(): List<String> = names.toList()
  }

  /** Reads the next item. */
  public abstract fun next(): String
}

class CartViewModel
  @Inject internal constructor(private val reader: CartReader) : ViewModel() {
  fun load() = reader.next()
}
"""
    fs = parse_source("shop/CartReader.kt", source, BY_NAME["kotlin"], "0")
    assert fs.syntax_errors == 0
    assert {d.qualname: d.start_line for d in fs.definitions} == {
        "CartReader": 4, "CartReader.Options": 6, "CartReader.Options.names": 11, "CartReader.next": 15,
        "CartViewModel": 18, "CartViewModel.load": 20}
    assert doc_of(fs, "CartReader.Options") == "The names to choose from."
    assert doc_of(fs, "CartReader.next") == "Reads the next item."
    assert inherits(fs) == {("CartViewModel", "ViewModel")}


# --- found by a user's sweep of Dart, Lua and Elixir (sweep 15) ---------------------------------------

def test_lua_functions_in_a_table_are_each_a_definition_at_its_line():
    """telescope's pickers.lua: `Layout { mount = function … end, unmount = …, update = … }` gave one
    definition, `mount`, at the table's line; the grammar's tags.scm makes the table the definition."""
    source = (b"local layout = Layout {\n  -- Shows the picker.\n  mount = function(self)\n    return 1\n  end,\n"
              b"  unmount = function(self) end,\n}\n")
    fs = parse_source("lua/telescope/pickers.lua", source, BY_NAME["lua"], "0")
    assert [(d.qualname, d.start_line) for d in fs.definitions] == [("mount", 3), ("unmount", 6)]
    assert doc_of(fs, "mount") == "Shows the picker."


def test_a_lua_require_finds_the_module_on_the_package_path():
    """`require("telescope")` resolved to Neovim's startup script `plugin/telescope.lua`, not to
    `lua/telescope/init.lua`."""
    files = RepoFiles.of(["plugin/telescope.lua", "lua/telescope/init.lua", "lua/telescope/pickers.lua"])
    require = BY_NAME["lua"].resolve_import
    assert require("lua/telescope/pickers.lua", Import("telescope"), files) == ["lua/telescope/init.lua"]
    assert require("plugin/telescope.lua", Import("telescope.pickers"), files) == ["lua/telescope/pickers.lua"]
    assert require("a.lua", Import("plenary.job"), files) == []


def test_dart_imports_of_a_monorepos_packages_and_conditional_imports():
    """dio: `package:dio_web_adapter/…` lives in `plugins/web_adapter/` (its name is in its pubspec.yaml,
    which is not indexed): the one folder its name ends with; a conditional import's other file counts."""
    files = RepoFiles.of(["dio/lib/dio.dart", "dio/lib/src/adapters/io_adapter.dart", "dio/lib/src/adapters/browser_adapter.dart",
                          "plugins/web_adapter/lib/src/adapter.dart", "plugins/cookie_manager/lib/src/adapter.dart"])
    resolve_dart = BY_NAME["dart"].resolve_import
    assert resolve_dart("dio/lib/src/x.dart", Import("package:dio_web_adapter/src/adapter.dart"), files) == \
        ["plugins/web_adapter/lib/src/adapter.dart"]
    assert resolve_dart("dio/lib/src/x.dart", Import("package:other/src/adapter.dart"), files) == []  # no folder it ends with
    source = b"import 'adapters/io_adapter.dart' if (dart.library.js_interop) 'adapters/browser_adapter.dart';\n"
    fs = parse_source("dio/lib/src/dio.dart", source, BY_NAME["dart"], "0")
    assert sorted(imports(fs)) == ["adapters/browser_adapter.dart", "adapters/io_adapter.dart"]


def test_typescript_newer_than_the_grammar():
    """zod: variance annotations (`<out Shape extends …>`, 4.7) gave its four main schema files 21 syntax
    errors; TanStack Query: `export type * from './types'` (5.0) was one, and the re-export no import."""
    source = b"""export type * from './types'

/** A schema of an object. */
export interface ZodObject<
  /** @ts-ignore Cast variance */
  out Shape extends ZodShape = ZodShape,
  in out Config = Strip,
> extends ZodType<Shape> {
  keyof(): ZodEnum<Shape>
}

export function object<const T extends ZodShape>(shape: T): ZodObject<T> {
  return new ZodObject(shape)
}
"""
    fs = parse_source("packages/zod/src/v4/classic/schemas.ts", source, BY_NAME["typescript"], "0")
    assert fs.syntax_errors == 0
    assert {d.qualname: d.start_line for d in fs.definitions} == {"ZodObject": 4, "ZodObject.keyof": 9, "object": 12}
    assert doc_of(fs, "ZodObject") == "A schema of an object."
    assert "./types" in imports(fs)


def test_a_dart_call_through_a_null_assertion():
    """dio: `options.onSendProgress!(complete, length)` was a syntax error in 7 of 156 files (the grammar has
    no call after `!`), the statement and its calls lost."""
    source = (b"class Uploader {\n  /// Sends the bytes.\n  void send(Options options) {\n"
              b"    options.onSendProgress!(complete, length);\n    if (!(options.done)) finish();\n  }\n}\n")
    fs = parse_source("dio/lib/src/uploader.dart", source, BY_NAME["dart"], "0")
    assert fs.syntax_errors == 0
    assert {("Uploader.send", "onSendProgress"), ("Uploader.send", "finish")} <= calls(fs)
    assert doc_of(fs, "Uploader.send") == "Sends the bytes."


def test_a_dart_doc_comment_below_the_imports_is_its_declarations():
    """dio's headers.dart was summarised "The signature that iterates header fields.", a typedef's `///`
    below the imports: the class the file is named after speaks for it."""
    source = (b"import 'utils.dart';\n\n/// The signature that iterates header fields.\n"
              b"typedef HeaderForEachCallback = void Function(String name, List<String> values);\n\n"
              b"/// The headers class for requests and responses.\nclass Headers {\n  void clear() {}\n}\n")
    assert parse_source("dio/lib/src/headers.dart", source, BY_NAME["dart"], "0").doc == \
        "The headers class for requests and responses."


def test_an_elixir_implementation_and_a_function_of_several_clauses():
    """plug's `defimpl Inspect, for: Plug.Conn` left `inspect` a top-level function heading every summary;
    `read_part_headers` pointed at its private 7-argument clause (line 1239), not its documented public one."""
    source = (b'defmodule Plug.Conn do\n  @doc "Reads the headers of a part."\n  def read_part_headers(conn, opts) do\n'
              b"    read_part_headers(conn, opts, 1)\n  end\n\n  defp read_part_headers(conn, opts, n) do\n    n\n  end\nend\n\n"
              b"defimpl Inspect, for: Plug.Conn do\n  def inspect(conn, opts), do: conn\nend\n")
    fs = parse_source("lib/plug/conn.ex", source, BY_NAME["elixir"], "0")
    assert [(d.qualname, d.subkind, d.start_line, d.end_line) for d in fs.definitions] == [
        ("Plug.Conn", "module", 1, 10), ("Plug.Conn.read_part_headers", "method", 3, 9),
        ("Inspect", "impl", 12, 14), ("Inspect.inspect", "method", 13, 13)]
    assert doc_of(fs, "Plug.Conn.read_part_headers") == "Reads the headers of a part."
