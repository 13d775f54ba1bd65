; Ruby: definitions, calls, requires and inheritance (all of it: see graph/languages.py)

(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(class name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.class
; a module holds methods as a class does (mixins, `module_function`), so it is class-like
(module name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.module

(call method: (identifier) @name) @reference.call
; `Cart.new(...)` constructs a Cart
(call
  receiver: [(constant) @name (scope_resolution name: (constant) @name)]
  method: (identifier) @_new
  (#eq? @_new "new")) @reference.call

; `require "sinatra/base"`, `require_relative "model/product"`: parse.py reads the whole call
(call
  method: (identifier) @_require
  arguments: (argument_list . (string (string_content)))
  (#match? @_require "^require(_relative)?$")) @import.module

; `class Cart < Base`; `include Enumerable` and `extend Forwardable` mix a module in as a base does
(class
  name: [(constant) (scope_resolution)] @inherit.class
  superclass: (superclass [(constant) (scope_resolution)] @inherit.base))
(class
  name: [(constant) (scope_resolution)] @inherit.class
  (body_statement
    (call
      method: (identifier) @_mixin
      arguments: (argument_list [(constant) (scope_resolution)] @inherit.base)
      (#match? @_mixin "^(include|extend|prepend)$"))))
