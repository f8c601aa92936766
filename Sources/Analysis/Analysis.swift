import Nets
