; TSX: the same as typescript.scm (keep the two in step), plus JSX component uses as calls at the end.
; Imports (`import`, `import type`, `export ... from`, `require`, `import x = require()`, dynamic
; `import()`), `extends` / `implements`, enums, `new` as a call, arrow-function class fields (the
; JavaScript and TypeScript tags.scm give the other definitions and the calls)

(import_statement source: (string) @import.module)
(import_statement
  (import_clause [(identifier) @import.name
                  (named_imports (import_specifier name: (_) @import.name))])
  source: (string) @import.module)
(import_require_clause source: (string) @import.module)
(export_statement source: (string) @import.module)
(export_statement
  (export_clause (export_specifier name: (_) @import.name))
  source: (string) @import.module)
(call_expression
  function: (identifier) @_require
  arguments: (arguments . (string) @import.module)
  (#eq? @_require "require"))
(call_expression
  function: (import)
  arguments: (arguments . (string) @import.module))

; `class Cart extends Base<T> implements Priced, ns.Named` (generic arguments left out)
(class_declaration
  name: (type_identifier) @inherit.class
  (class_heritage (extends_clause value: [(identifier) (member_expression)] @inherit.base)))
(abstract_class_declaration
  name: (type_identifier) @inherit.class
  (class_heritage (extends_clause value: [(identifier) (member_expression)] @inherit.base)))
(class_declaration
  name: (type_identifier) @inherit.class
  (class_heritage (implements_clause [(type_identifier) (nested_type_identifier)] @inherit.base)))
(class_declaration
  name: (type_identifier) @inherit.class
  (class_heritage (implements_clause (generic_type name: (_) @inherit.base))))
(abstract_class_declaration
  name: (type_identifier) @inherit.class
  (class_heritage (implements_clause [(type_identifier) (nested_type_identifier)] @inherit.base)))
(abstract_class_declaration
  name: (type_identifier) @inherit.class
  (class_heritage (implements_clause (generic_type name: (_) @inherit.base))))
(interface_declaration
  name: (type_identifier) @inherit.class
  (extends_type_clause type: [(type_identifier) (nested_type_identifier)] @inherit.base))
(interface_declaration
  name: (type_identifier) @inherit.class
  (extends_type_clause type: (generic_type name: (_) @inherit.base)))

(enum_declaration name: (identifier) @name) @definition.enum

(new_expression
  constructor: [(identifier) @name (member_expression property: (property_identifier) @name)]) @reference.call

; `class A { handle = () => {} }`
(public_field_definition
  name: (property_identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.method

; JSX: rendering a component `<CartView items={x} />` calls it (lower-case tags are HTML elements)
(jsx_opening_element name: (identifier) @name (#match? @name "^[A-Z]")) @reference.call
(jsx_self_closing_element name: (identifier) @name (#match? @name "^[A-Z]")) @reference.call
