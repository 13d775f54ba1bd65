; JavaScript: imports (`import`, `export ... from`, `require`, dynamic `import()`), `extends`,
; `new` as a call, arrow-function class fields (definitions and calls come from the grammar's tags.scm)

(import_statement source: (string) @import.module)
(import_statement
  (import_clause [(identifier) @import.name
                  (named_imports (import_specifier name: (_) @import.name))])
  source: (string) @import.module)
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

(class_declaration
  name: (identifier) @inherit.class
  (class_heritage [(identifier) (member_expression)] @inherit.base))

(new_expression
  constructor: [(identifier) @name (member_expression property: (property_identifier) @name)]) @reference.call

; `class A { handle = () => {} }`
(field_definition
  property: (property_identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.method

; JSX: rendering a component `<CartView items={x} />` calls it (lower-case tags are HTML elements)
(jsx_opening_element name: (identifier) @name (#match? @name "^[A-Z]")) @reference.call
(jsx_self_closing_element name: (identifier) @name (#match? @name "^[A-Z]")) @reference.call
