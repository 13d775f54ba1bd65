; Dart: definitions, calls, imports and inheritance (all of it: the grammar wheel's tags.scm also
; captures every method signature twice and every capitalised variable as a class reference)

(class_definition name: (identifier) @name) @definition.class
(mixin_declaration (identifier) @name) @definition.mixin
(extension_declaration name: (identifier) @name) @definition.extension
(enum_declaration name: (identifier) @name) @definition.enum
(function_declaration (function_signature name: (identifier) @name)) @definition.function
; a method, a getter or a setter, and an abstract one's signature (dio's `abstract class Dio` declares its
; `get`, `post` and `download` so: an interface's methods are definitions, as Java's are); constructors are
; left out as other languages' are
(method_declaration
  (method_signature [(function_signature name: (identifier) @name)
                     (getter_signature name: (identifier) @name)
                     (setter_signature name: (identifier) @name)])) @definition.method
(class_body
  (declaration [(function_signature name: (identifier) @name)
                (getter_signature name: (identifier) @name)
                (setter_signature name: (identifier) @name)]) @definition.method)

; `f(x)`, `cart.add(x)`, `cart..add(x)`, `Product(name, price)` (a constructor call), `new Product()`
(method_invocation function: (identifier) @name) @reference.call
(method_invocation function: (unconditional_assignable_selector (identifier) @name .)) @reference.call
(method_invocation function: (conditional_assignable_selector (identifier) @name .)) @reference.call
(method_invocation function: (cascade_selector (identifier) @name)) @reference.call
(new_expression (type_identifier) @name) @reference.call

; `import 'model/product.dart';`, `export 'src/cart.dart';`, `part 'cart.g.dart';` (the URI)
(library_import (import_specification (configurable_uri (uri (string_literal) @import.module))))
(library_export (configurable_uri (uri (string_literal) @import.module)))
; a conditional import's other files: `import 'io_adapter.dart' if (dart.library.js_interop) 'browser_adapter.dart'`
(configuration_uri (uri (string_literal) @import.module))
(part_directive (uri (string_literal) @import.module))

; `class Cart extends Basket with ListMixin<Product> implements Comparable<Cart>`; a mixin's `on` type
(class_definition name: (identifier) @inherit.class (superclass (type_identifier) @inherit.base))
(class_definition name: (identifier) @inherit.class (superclass (mixins (type_identifier) @inherit.base)))
(class_definition name: (identifier) @inherit.class (interfaces (type_identifier) @inherit.base))
(mixin_declaration (identifier) @inherit.class (type_identifier) @inherit.base)
