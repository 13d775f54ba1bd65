; Swift: definitions, calls, imports and inheritance (all of it: the grammar's tags.scm captures a class
; as the definition of each method in it)

; a class, struct, enum or actor (parse.py tells them by their keyword)
(class_declaration name: (type_identifier) @name) @definition.class
(protocol_declaration name: (type_identifier) @name) @definition.interface
(function_declaration name: (simple_identifier) @name) @definition.function
(protocol_function_declaration name: (simple_identifier) @name) @definition.function

; `extension Cart { func label() … }`: its functions are Cart's methods
(class_declaration "extension" (user_type (type_identifier) @owner.name .)) @owner.scope

(call_expression . (simple_identifier) @name) @reference.call
(call_expression . (navigation_expression (navigation_suffix (simple_identifier) @name))) @reference.call

; `import Foundation`: a module (a target of the package), not a file
(import_declaration) @import.module

(class_declaration name: (type_identifier) @inherit.class
  (inheritance_specifier (user_type (type_identifier) @inherit.base .)))
(protocol_declaration name: (type_identifier) @inherit.class
  (inheritance_specifier (user_type (type_identifier) @inherit.base .)))
