; C#: definitions, calls, usings and inheritance (all of it: see graph/languages.py)

(class_declaration name: (identifier) @name) @definition.class
(struct_declaration name: (identifier) @name) @definition.struct
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(method_declaration name: (identifier) @name) @definition.method
(local_function_statement name: (identifier) @name) @definition.function

(invocation_expression function: (identifier) @name) @reference.call
(invocation_expression function: (generic_name (identifier) @name)) @reference.call
(invocation_expression function: (member_access_expression name: (identifier) @name)) @reference.call
(invocation_expression function: (member_access_expression name: (generic_name (identifier) @name))) @reference.call
(object_creation_expression type: (identifier) @name) @reference.call
(object_creation_expression type: (generic_name (identifier) @name)) @reference.call
(object_creation_expression type: (qualified_name (identifier) @name .)) @reference.call

; `using A.B;`, `using static A.B.C;`, `global using X = A.B;` (parse.py reads the namespace or type)
(using_directive) @import.module

; `class A : B, IC<T>`: its base class and interfaces alike
(class_declaration name: (identifier) @inherit.class (base_list [(identifier) (qualified_name)] @inherit.base))
(class_declaration name: (identifier) @inherit.class (base_list (generic_name (identifier) @inherit.base)))
(struct_declaration name: (identifier) @inherit.class (base_list [(identifier) (qualified_name)] @inherit.base))
(struct_declaration name: (identifier) @inherit.class (base_list (generic_name (identifier) @inherit.base)))
(interface_declaration name: (identifier) @inherit.class (base_list [(identifier) (qualified_name)] @inherit.base))
(interface_declaration name: (identifier) @inherit.class (base_list (generic_name (identifier) @inherit.base)))
(record_declaration name: (identifier) @inherit.class (base_list [(identifier) (qualified_name)] @inherit.base))
(record_declaration name: (identifier) @inherit.class (base_list (generic_name (identifier) @inherit.base)))
