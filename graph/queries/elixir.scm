; Elixir: definitions, calls, imports and inheritance (all of it: the grammar's tags.scm marks the
; special forms it means to leave out with captures that only a tags tool's first-match rule honours)

; `defmodule Shop.Cart do`, `defprotocol Shop.Priced do`: class-like, they hold functions
(call target: (identifier) @_def (arguments . (alias) @name) (#eq? @_def "defmodule")) @definition.module
(call target: (identifier) @_def (arguments . (alias) @name) (#eq? @_def "defprotocol")) @definition.protocol
; `defimpl Inspect, for: Plug.Conn do`: the protocol's implementation, class-like as a module is (its
; functions were bare top-level ones, and `inspect` headed plug's summaries)
(call target: (identifier) @_def (arguments . (alias) @name) (#eq? @_def "defimpl")) @definition.impl
; `def add(cart, p) do`, `def new, do: …`, `defp count(c) when is_map(c)`, macros and guards alike
(call
  target: (identifier) @_def
  (arguments . [(identifier) @name
                (call target: (identifier) @name)
                (binary_operator left: (call target: (identifier) @name) operator: "when")])
  (#any-of? @_def "def" "defp" "defmacro" "defmacrop" "defguard" "defguardp" "defdelegate" "defn" "defnp")) @definition.function

; a local or remote call, and a bare name piped into (`|> sum`), but not a special form or a `@attribute`
; (`#not-match?`: the bindings' `#not-any-of?` keeps a name that is unequal to any one of its values)
((call target: (identifier) @name) @reference.call
 (#not-match? @name "^(def|defp|defmacro|defmacrop|defguard|defguardp|defdelegate|defn|defnp|defmodule|defprotocol|defimpl|defstruct|defexception|defoverridable|alias|import|require|use|case|cond|if|unless|else|for|with|try|receive|quote|unquote|unquote_splicing|raise|reraise|throw|super|fn|moduledoc|doc|spec|type|typep|opaque|callback|macrocallback|impl|behaviour|derive|enforce_keys|typedoc|deprecated|dialyzer|compile)$"))
; a remote call has arguments: without them `product.name` reads a field
(call target: (dot right: (identifier) @name) (arguments)) @reference.call
(binary_operator operator: "|>" right: (identifier) @name) @reference.call

; `alias Shop.Cart`, `import Enum`, `require Logger`, `use Plug.Builder`; `alias Shop.Util.{A, B}`
(call
  target: (identifier) @_directive
  (arguments . (alias) @import.module)
  (#any-of? @_directive "alias" "import" "require" "use"))
(call
  target: (identifier) @_directive
  (arguments . (dot left: (alias) @import.module right: (tuple (alias) @import.name)))
  (#any-of? @_directive "alias" "import" "require" "use"))

; `use Shop.Model.Basket` mixes a module in as a base does; `@behaviour Access` names an interface
(call
  target: (identifier) @_def
  (arguments . (alias) @inherit.class)
  (do_block (call target: (identifier) @_use (arguments . (alias) @inherit.base)))
  (#eq? @_def "defmodule")
  (#eq? @_use "use"))
(call
  target: (identifier) @_def
  (arguments . (alias) @inherit.class)
  (do_block (unary_operator operand: (call target: (identifier) @_behaviour (arguments . (alias) @inherit.base))))
  (#eq? @_def "defmodule")
  (#eq? @_behaviour "behaviour"))
