; C: includes, calls, anonymous typedef'd structs/enums (definitions come from the grammar's tags.scm,
; which has no call references at all)

(preproc_include path: [(string_literal) (system_lib_string)] @import.module)

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call

; `typedef struct { ... } Name;`: the shipped query only sees structs and enums that have a tag name
(type_definition
  type: (struct_specifier !name body: (_))
  declarator: (type_identifier) @name) @definition.struct
(type_definition
  type: (enum_specifier !name body: (_))
  declarator: (type_identifier) @name) @definition.enum

; `#define list_for_each(pos, head) …`: a function-like macro is called as a function is
(preproc_function_def name: (identifier) @name) @definition.macro
